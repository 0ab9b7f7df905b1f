# The release tasks of the seeds (Distillery's "Running Migrations, etc."
# and "Run Ecto Migrations in Production with Distillery's Boot Hooks"),
# as written there: only the application name and the driver changed.
# Shop has no Ecto; Shop.Repo and Shop.Migrator stand where Ecto's repo
# and Ecto.Migrator stand, on the p1_pgsql driver Debian ships.
defmodule Shop.ReleaseTasks do

  @start_apps [
    :crypto,
    :p1_pgsql
  ]

  @myapps [
    :shop
  ]

  @repos [
    Shop.Repo
  ]

  def migrate do
    {:ok, _} = Application.ensure_all_started(:shop)

    path = Application.app_dir(:shop, "priv/repo/migrations")

    Shop.Migrator.run(Shop.Repo, path, :up, all: true)
  end

  def seed do
    IO.puts "Loading shop.."
    # Load the code for shop, but don't start it
    :ok = Application.load(:shop)

    IO.puts "Starting dependencies.."
    # Start apps necessary for executing migrations
    Enum.each(@start_apps, &Application.ensure_all_started/1)

    # Start the Repo(s) for shop
    IO.puts "Starting repos.."
    Enum.each(@repos, &(&1.start_link(pool_size: 1)))

    # Run migrations
    Enum.each(@myapps, &run_migrations_for/1)

    # Run the seed script if it exists
    seed_script = Path.join([priv_dir(:shop), "repo", "seeds.exs"])
    if File.exists?(seed_script) do
      IO.puts "Running seed script.."
      Code.eval_file(seed_script)
    end

    # Signal shutdown
    IO.puts "Success!"
    :init.stop()
  end

  def priv_dir(app), do: "#{:code.priv_dir(app)}"

  defp run_migrations_for(app) do
    IO.puts "Running migrations for #{app}"
    Shop.Migrator.run(Shop.Repo, migrations_path(app), :up, all: true)
  end

  defp migrations_path(app), do: Path.join([priv_dir(app), "repo", "migrations"])
  defp seed_path(app), do: Path.join([priv_dir(app), "repo", "seeds.exs"])
end
