defmodule Shop.MixProject do
  use Mix.Project

  def project do
    [
      app: :shop,
      version: "0.1.0",
      elixir: "~> 1.14",
      start_permanent: Mix.env() == :prod,
      # No hex: the project must build offline.
      deps: [],
      releases: releases()
    ]
  end

  # p1_pgsql is the Debian-packaged Erlang PostgreSQL driver
  # (/usr/lib/erlang/lib/p1_pgsql-*).  It lives on the OTP code path, so it
  # is listed like an OTP application instead of being fetched as a dep.
  def application do
    [
      extra_applications: [:logger, :p1_pgsql],
      mod: {Shop.Application, []}
    ]
  end

  # Only used by `mix release` (tests/e2e/test_shop_rel_matches_mix.sh
  # compares its .rel and its tarball's size with relbuild's).  The start
  # types mirror rel/config.yml; the test passes --path so mix's release
  # never lands in _build/prod/rel/shop, where relbuild writes.
  defp releases do
    [
      shop: [
        include_executables_for: [:unix],
        applications: [p1_pgsql: :permanent, runtime_tools: :load, crypto: :load, ssl: :load],
        steps: [:assemble, :tar]
      ]
    ]
  end
end
