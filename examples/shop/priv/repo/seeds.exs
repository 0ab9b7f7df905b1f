# Seeds, run by Shop.ReleaseTasks.seed/0 (`bin/shop migrate`) after the
# migrations, with Shop.Repo started.  Running them twice changes nothing.
Shop.Repo.query!("""
INSERT INTO products (name, price_cents, stock) VALUES
    ('teapot', 2500, 10),
    ('mug', 800, 40)
ON CONFLICT (name) DO NOTHING
""")
