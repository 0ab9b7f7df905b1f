ALTER TABLE products ADD COLUMN stock integer NOT NULL DEFAULT 0;
CREATE INDEX products_stock_index ON products (stock);
