defmodule Shop.Application do
  @moduledoc false
  use Application

  # Shop.Repo connects on first use, so a release boots without
  # PostgreSQL; migrations run from a hook or `bin/shop migrate`.
  @impl true
  def start(_type, _args) do
    children = [
      Shop.Repo,
      Shop.Inventory
    ]

    Supervisor.start_link(children, strategy: :one_for_one, name: Shop.Supervisor)
  end
end
