defmodule Shop.Inventory do
  @moduledoc "Stock levels by product name, kept in memory."
  use GenServer

  def start_link(opts \\ []) do
    GenServer.start_link(__MODULE__, %{}, Keyword.put_new(opts, :name, __MODULE__))
  end

  def put(name, count) when is_integer(count) and count >= 0,
    do: GenServer.call(__MODULE__, {:put, name, count})

  def get(name), do: GenServer.call(__MODULE__, {:get, name})

  def all, do: GenServer.call(__MODULE__, :all)

  @impl true
  def init(stock), do: {:ok, stock}

  @impl true
  def handle_call({:put, name, count}, _from, stock),
    do: {:reply, :ok, Map.put(stock, name, count)}

  def handle_call({:get, name}, _from, stock),
    do: {:reply, Map.get(stock, name, 0), stock}

  def handle_call(:all, _from, stock), do: {:reply, stock, stock}
end
