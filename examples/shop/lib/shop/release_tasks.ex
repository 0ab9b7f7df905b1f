defmodule Shop.ReleaseTasks do
  @moduledoc """
  Database tasks run from a release, where mix is not available.

  `migrate/0` is what the post_start hook calls over rpc
  (`bin/shop rpc "Elixir.Shop.ReleaseTasks.migrate"`); `seed/0` is what the
  custom command runs (`bin/shop command Elixir.Shop.ReleaseTasks seed`).

  Migrations are plain SQL files, `priv/repo/migrations/<version>_<name>.sql`,
  applied with the p1_pgsql driver in version order, each in its own
  transaction together with its row in `schema_migrations`.  Connection
  settings come from the application environment (sys.config):

      {shop, [{db, [{host, "127.0.0.1"}, {port, 5432}, {user, "shop"},
                    {password, "..."}, {database, "shop"}]}]}

  p1_pgsql speaks trust, password and md5 authentication; SCRAM needs a
  module it does not ship, so give the role an md5 password.
  """

  @app :shop

  @doc "Apply every pending migration. Returns :ok or raises."
  def migrate do
    with_connection(fn conn ->
      run_migrations(conn, migrations_path())
    end)
  end

  @doc "Apply pending migrations, then priv/repo/seeds.sql if there is one."
  def seed do
    with_connection(fn conn ->
      :ok = run_migrations(conn, migrations_path())
      seed_script = Path.join([priv_dir(), "repo", "seeds.sql"])

      if File.exists?(seed_script) do
        IO.puts("Running seed script..")
        :ok = transaction(conn, File.read!(seed_script), seed_script)
      end

      IO.puts("Success!")
      :ok
    end)
  end

  @doc "The migration versions in priv/repo/migrations, sorted."
  def migrations do
    migrations_path() |> list_migrations() |> Enum.map(&elem(&1, 0))
  end

  def priv_dir, do: "#{:code.priv_dir(@app)}"

  defp migrations_path, do: Path.join([priv_dir(), "repo", "migrations"])

  defp run_migrations(conn, dir) do
    IO.puts("Running migrations for #{@app}")

    squery!(conn, """
    CREATE TABLE IF NOT EXISTS schema_migrations (
      version bigint PRIMARY KEY,
      inserted_at timestamp
    )
    """)

    applied =
      conn
      |> squery!("SELECT version FROM schema_migrations")
      |> rows()
      |> MapSet.new(fn [v] -> to_integer(v) end)

    pending = Enum.reject(list_migrations(dir), fn {v, _} -> MapSet.member?(applied, v) end)

    Enum.each(pending, fn {version, file} ->
      IO.puts("== #{Path.basename(file)}")

      sql = [
        File.read!(file),
        ";\nINSERT INTO schema_migrations (version, inserted_at) ",
        "VALUES (#{version}, now() at time zone 'utc')"
      ]

      :ok = transaction(conn, IO.iodata_to_binary(sql), file)
    end)

    IO.puts("#{length(pending)} migration(s) applied, #{MapSet.size(applied)} already up")
    :ok
  end

  # {version, path} for each <digits>_<name>.sql, in version order.
  defp list_migrations(dir) do
    case File.ls(dir) do
      {:ok, names} ->
        for name <- names,
            [_, v] <- [Regex.run(~r/^(\d+)_[^\/]*\.sql$/, name)] do
          {String.to_integer(v), Path.join(dir, name)}
        end
        |> Enum.sort()

      {:error, :enoent} ->
        []

      {:error, reason} ->
        raise "cannot list #{dir}: #{:file.format_error(reason)}"
    end
  end

  # One simple-query round trip; p1_pgsql rolls back by itself when a
  # statement fails, so the whole file goes in or nothing does.
  defp transaction(conn, sql, what) do
    case squery(conn, "BEGIN;\n" <> sql <> ";\nCOMMIT") do
      {:ok, _} -> :ok
      {:error, err} -> raise "#{what}: #{format_error(err)}"
    end
  end

  defp with_connection(fun) do
    # `command` runs us in a node where shop is not started; the driver
    # itself needs no processes of its own for a single connection.
    case Application.load(@app) do
      :ok -> :ok
      {:error, {:already_loaded, @app}} -> :ok
    end

    opts = connect_opts()
    {:ok, _} = Application.ensure_all_started(:p1_pgsql)

    case :pgsql.connect(opts) do
      {:ok, conn} ->
        try do
          fun.(conn)
        after
          :pgsql.terminate(conn)
        end

      {:error, reason} ->
        raise "cannot connect to PostgreSQL at #{opts[:host]}:#{opts[:port]}: " <>
                format_error(reason)
    end
  end

  defp connect_opts do
    db = Application.get_env(@app, :db, [])

    [
      host: charlist(Keyword.get(db, :host, "127.0.0.1")),
      port: to_integer(Keyword.get(db, :port, 5432)),
      user: charlist(Keyword.get(db, :user, "postgres")),
      password: charlist(Keyword.get(db, :password, "")),
      database: charlist(Keyword.get(db, :database, "shop")),
      as_binary: true
    ]
  end

  defp squery(conn, sql) do
    {:ok, results} = :pgsql.squery(conn, sql)

    case Enum.find(results, &match?({:error, _}, &1)) do
      nil -> {:ok, results}
      {:error, err} -> {:error, err}
    end
  end

  defp squery!(conn, sql) do
    case squery(conn, sql) do
      {:ok, results} -> results
      {:error, err} -> raise format_error(err)
    end
  end

  defp rows(results) do
    Enum.flat_map(results, fn
      {_cmd, _cols, rows} -> rows
      _ -> []
    end)
  end

  defp format_error(err) when is_list(err) do
    msg = List.keyfind(err, :message, 0)
    code = List.keyfind(err, :code, 0)

    case {msg, code} do
      {{_, m}, {_, c}} -> "#{m} (#{c})"
      {{_, m}, nil} -> "#{m}"
      _ -> inspect(err)
    end
  end

  defp format_error({:authentication, err}), do: format_error(err)
  defp format_error(err), do: inspect(err)

  defp charlist(v) when is_binary(v), do: String.to_charlist(v)
  defp charlist(v) when is_list(v), do: v
  defp charlist(v) when is_atom(v), do: Atom.to_charlist(v)

  defp to_integer(v) when is_integer(v), do: v
  defp to_integer(v) when is_binary(v), do: String.to_integer(String.trim(v))
  defp to_integer(v) when is_list(v), do: List.to_integer(v)
end
