defmodule Shop.Migrator do
  @moduledoc """
  What `Ecto.Migrator.run/4` does, for plain SQL migrations: every
  `<version>_<name>.sql` under a directory (subdirectories too, as Ecto
  finds them; other files are ignored), applied in version order, each in
  one transaction together with its row in `schema_migrations`.
  """

  @doc "Apply the pending migrations in path (`:up`, `all: true`); the versions applied."
  def run(repo, path, :up, all: true) do
    repo.query!("""
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version bigint PRIMARY KEY,
      inserted_at timestamp
    )
    """)

    applied =
      "SELECT version FROM schema_migrations"
      |> repo.query!()
      |> repo.rows()
      |> MapSet.new(fn [v] -> to_integer(v) end)

    pending = Enum.reject(list(path), fn {v, _} -> MapSet.member?(applied, v) end)

    for {version, file} <- pending do
      IO.puts("== #{Path.relative_to(file, path)}")

      sql = [
        File.read!(file),
        ";\nINSERT INTO schema_migrations (version, inserted_at) ",
        "VALUES (#{version}, now() at time zone 'utc')"
      ]

      case repo.transaction(IO.iodata_to_binary(sql)) do
        {:ok, _} -> :ok
        {:error, err} -> raise "#{file}: #{Shop.Repo.format_error(err)}"
      end
    end

    IO.puts("#{length(pending)} migration(s) applied, #{MapSet.size(applied)} already up")
    Enum.map(pending, &elem(&1, 0))
  end

  @doc "The migration versions of app's priv/repo/migrations, sorted."
  def migrations(app) do
    [:code.priv_dir(app), "repo", "migrations"] |> Path.join() |> list() |> Enum.map(&elem(&1, 0))
  end

  # {version, path} for each <digits>_<name>.sql, in version order.
  defp list(dir) do
    for file <- Path.wildcard(Path.join([dir, "**", "*.sql"])),
        [_, v] <- [Regex.run(~r/^(\d+)_[^\/]*\.sql$/, Path.basename(file))] do
      {String.to_integer(v), file}
    end
    |> Enum.sort()
  end

  defp to_integer(v) when is_integer(v), do: v
  defp to_integer(v) when is_binary(v), do: String.to_integer(String.trim(v))
end
