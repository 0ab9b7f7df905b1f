INSERT INTO products (name, price_cents, stock) VALUES
    ('teapot', 2500, 10),
    ('mug', 800, 40)
ON CONFLICT (name) DO NOTHING;
