defmodule MyApp.ReleaseTasks do
  @moduledoc """
  Tasks run from the release, where mix is not available, in the shape
  of Distillery's guide ("Running Migrations, etc."); written by
  `relbuild init`, yours to edit.

      bin/myapp migrate                                  # seed/0, in a node of its own
      bin/myapp rpc "Elixir.MyApp.ReleaseTasks.migrate"  # migrate/0, on the running node
      bin/myapp eval "MyApp.ReleaseTasks.rollback(MyApp.Repo, 20240101000000)"

  The repos are the application's `:ecto_repos`
  (`config :myapp, ecto_repos: [MyApp.Repo]`); with none (no Ecto yet)
  every task says so and succeeds.  Ecto.Migrator is reached through
  `migrator/0`, so that this module compiles cleanly before Ecto is a
  dependency.
  """

  @app :myapp

  @start_apps [
    :crypto,
    :ssl,
    :postgrex,
    :ecto,
    :ecto_sql
  ]

  def migrate do
    {:ok, _} = Application.ensure_all_started(@app)

    Enum.each(repos(), &run_migrations_for/1)
  end

  def rollback(repo, version) do
    repo = if is_binary(repo), do: String.to_atom(repo), else: repo
    load_app()
    start_dependencies()
    {:ok, _} = repo.start_link(pool_size: 2)
    migrator().run(repo, migrations_path(repo), :down, to: version)
  end

  def seed do
    IO.puts("Loading #{@app}..")
    # Load the code for myapp, but don't start it
    :ok = load_app()

    IO.puts("Starting dependencies..")
    # Start apps necessary for executing migrations
    start_dependencies()

    # Start the Repo(s) for myapp
    IO.puts("Starting repos..")
    repos = repos()
    Enum.each(repos, &(&1.start_link(pool_size: 2)))

    # Run migrations
    Enum.each(repos, &run_migrations_for/1)

    # Run the seed script if it exists
    seed_script = Path.join([priv_dir(@app), "repo", "seeds.exs"])

    if File.exists?(seed_script) do
      IO.puts("Running seed script..")
      Code.eval_file(seed_script)
    end

    IO.puts("Success!")
  end

  def priv_dir(app), do: "#{:code.priv_dir(app)}"

  defp repos do
    case Application.get_env(@app, :ecto_repos, []) do
      [] ->
        IO.puts("#{@app}: no Ecto repos (config :#{@app}, ecto_repos: [...]): nothing to migrate")
        []

      repos ->
        repos
    end
  end

  defp load_app do
    case Application.load(@app) do
      {:error, {:already_loaded, @app}} -> :ok
      other -> other
    end
  end

  defp start_dependencies, do: Enum.each(@start_apps, &Application.ensure_all_started/1)

  defp run_migrations_for(repo) do
    IO.puts("Running migrations for #{inspect(repo)}")
    migrator().run(repo, migrations_path(repo), :up, all: true)
  end

  defp migrations_path(_repo), do: Path.join([priv_dir(@app), "repo", "migrations"])

  # made at run time: a literal module here would be a compile-time
  # reference that warns while the project has no Ecto
  defp migrator, do: Module.concat([Ecto, Migrator])
end
