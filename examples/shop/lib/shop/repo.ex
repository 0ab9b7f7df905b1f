defmodule Shop.Repo do
  @moduledoc """
  The shop's PostgreSQL connection, where an Ecto project has its repo:
  started by the application's supervisor on the running node, or by
  `start_link/1` in a node of its own (`bin/shop command`).  It connects
  on first use, so the release boots without PostgreSQL.

  Connection settings come from the application environment (sys.config):

      {shop, [{db, [{host, "127.0.0.1"}, {port, 5432}, {user, "shop"},
                    {password, "..."}, {database, "shop"}]}]}

  p1_pgsql speaks trust, password and md5 authentication; SCRAM needs a
  module it does not ship, so give the role an md5 password.
  """
  use GenServer

  @app :shop

  # pool_size is accepted, as Ecto's repos accept it; there is one connection.
  def start_link(opts \\ []) do
    GenServer.start_link(__MODULE__, Keyword.delete(opts, :pool_size), name: __MODULE__)
  end

  def child_spec(opts), do: %{id: __MODULE__, start: {__MODULE__, :start_link, [opts]}}

  @doc "Run SQL (one or more statements); {:ok, results} or {:error, reason}."
  def query(sql), do: GenServer.call(__MODULE__, {:query, sql}, :infinity)

  @doc "Run SQL or raise."
  def query!(sql) do
    case query(sql) do
      {:ok, results} -> results
      {:error, err} -> raise format_error(err)
    end
  end

  @doc "Run SQL in one transaction: all of it goes in, or nothing does."
  def transaction(sql), do: query("BEGIN;\n" <> sql <> ";\nCOMMIT")

  @doc "The rows of query results."
  def rows(results) do
    Enum.flat_map(results, fn
      {_cmd, _cols, rows} -> rows
      _ -> []
    end)
  end

  @impl true
  def init(_opts), do: {:ok, nil}

  @impl true
  def handle_call({:query, sql}, _from, conn) do
    case connect(conn) do
      {:ok, conn} -> {:reply, squery(conn, sql), conn}
      {:error, reason} -> {:reply, {:error, reason}, nil}
    end
  end

  @impl true
  def terminate(_reason, nil), do: :ok
  def terminate(_reason, conn), do: :pgsql.terminate(conn)

  defp connect(nil) do
    opts = connect_opts()

    case :pgsql.connect(opts) do
      {:ok, conn} ->
        {:ok, conn}

      {:error, reason} ->
        {:error,
         "cannot connect to PostgreSQL at #{opts[:host]}:#{opts[:port]}: " <> format_error(reason)}
    end
  end

  defp connect(conn), do: {:ok, conn}

  # p1_pgsql rolls back by itself when a statement fails.
  defp squery(conn, sql) do
    {:ok, results} = :pgsql.squery(conn, sql)

    case Enum.find(results, &match?({:error, _}, &1)) do
      nil -> {:ok, results}
      {:error, err} -> {:error, err}
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

  @doc false
  def format_error(err) when is_binary(err), do: err

  def format_error(err) when is_list(err) do
    msg = List.keyfind(err, :message, 0)
    code = List.keyfind(err, :code, 0)

    case {msg, code} do
      {{_, m}, {_, c}} -> "#{m} (#{c})"
      {{_, m}, nil} -> "#{m}"
      _ -> inspect(err)
    end
  end

  def format_error({:authentication, err}), do: format_error(err)
  def format_error(err), do: inspect(err)

  defp charlist(v) when is_binary(v), do: String.to_charlist(v)
  defp charlist(v) when is_list(v), do: v
  defp charlist(v) when is_atom(v), do: Atom.to_charlist(v)

  defp to_integer(v) when is_integer(v), do: v
  defp to_integer(v) when is_binary(v), do: String.to_integer(String.trim(v))
  defp to_integer(v) when is_list(v), do: List.to_integer(v)
end
