-- Receipts and fee invoices, kept as issued. Numbers come from a counter per kind and year,
-- taken under the counter row's lock in the issuing transaction: no gaps, no repeats.

CREATE TABLE document_counters (
  kind  text NOT NULL CHECK (kind IN ('receipt','fee_invoice')),
  year  integer NOT NULL,
  last  bigint NOT NULL DEFAULT 0 CHECK (last >= 0),
  PRIMARY KEY (kind, year)
);

CREATE TABLE documents (
  id          uuid PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('receipt','fee_invoice')),
  number      text NOT NULL UNIQUE,
  -- What it is about: 'payment:{id}' for a receipt, 'milestone:{id}' for a fee invoice.
  subject     text NOT NULL,
  owner_id    uuid NOT NULL REFERENCES users(id),
  project_id  uuid REFERENCES projects(id),
  -- The document as issued (domain::invoice::Document); never changed.
  body        jsonb NOT NULL,
  issued_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, subject)
);
CREATE INDEX documents_project ON documents (project_id);

GRANT SELECT, INSERT, UPDATE ON document_counters TO fluxorae_app;
GRANT SELECT, INSERT ON documents TO fluxorae_app;
