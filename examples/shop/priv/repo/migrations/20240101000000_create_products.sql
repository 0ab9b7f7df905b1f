CREATE TABLE products (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    price_cents integer NOT NULL CHECK (price_cents >= 0),
    inserted_at timestamp NOT NULL DEFAULT now()
);
