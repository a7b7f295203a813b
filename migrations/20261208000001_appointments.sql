-- Appointment booking from a conversation (`domain::leads::booking`): the team's booking hours,
-- the times offered to a lead (with the link to the full calendar), and the calls booked. A
-- host is never booked twice at once: the exclusion constraint holds it, whoever books.
CREATE EXTENSION IF NOT EXISTS btree_gist;

-- The hours are in the team's time zone (`tenant_settings.timezone`).
ALTER TABLE tenant_settings
  ADD COLUMN booking_minutes   smallint CHECK (booking_minutes IN (15, 30, 45, 60)),
  -- The weekly hours as the team wrote them, checked ("Mon-Fri 09:00-17:00", a line each).
  ADD COLUMN booking_hours     text;

-- Three quick times offered in a conversation; the token is the lead's link to every free time.
CREATE TABLE appointment_offers (
  id          uuid PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id     uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  host_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  offered_by  uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  token       text NOT NULL UNIQUE,
  slots       timestamptz[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL
);
CREATE INDEX appointment_offers_lead ON appointment_offers (lead_id, created_at DESC);
ALTER TABLE appointment_offers ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointment_offers FORCE ROW LEVEL SECURITY;
CREATE POLICY appointment_offers_isolation ON appointment_offers
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());
GRANT SELECT, INSERT ON appointment_offers TO fluxorae_app;

CREATE TABLE appointments (
  id            uuid PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
  lead_id       uuid NOT NULL REFERENCES leads(id) ON DELETE CASCADE,
  host_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  starts_at     timestamptz NOT NULL,
  ends_at       timestamptz NOT NULL CHECK (ends_at > starts_at),
  -- booked; cancelled by the team; moved (the lead or the team booked another time).
  status        text NOT NULL DEFAULT 'booked' CHECK (status IN ('booked', 'cancelled', 'moved')),
  -- Who booked it: a person of the team, or NULL for the lead through their link.
  booked_by     uuid REFERENCES users(id) ON DELETE SET NULL,
  offer_id      uuid REFERENCES appointment_offers(id) ON DELETE SET NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  ended_at      timestamptz,
  CONSTRAINT appointments_no_double_booking
    EXCLUDE USING gist (host_id WITH =, tstzrange(starts_at, ends_at) WITH &&)
    WHERE (status = 'booked')
);
CREATE INDEX appointments_lead ON appointments (lead_id, starts_at) WHERE status = 'booked';
ALTER TABLE appointments ENABLE ROW LEVEL SECURITY;
ALTER TABLE appointments FORCE ROW LEVEL SECURITY;
CREATE POLICY appointments_isolation ON appointments
  USING (tenant_id = app_tenant_id() OR app_platform_scope())
  WITH CHECK (tenant_id = app_tenant_id() OR app_platform_scope());
GRANT SELECT, INSERT, UPDATE ON appointments TO fluxorae_app;

ALTER TABLE lead_events DROP CONSTRAINT lead_events_kind_check;
ALTER TABLE lead_events ADD CONSTRAINT lead_events_kind_check CHECK (kind IN (
  'created','identity_added','merged',
  'scored','assigned','waiting','nurture','junior_pool','first_response','sla_breached',
  'resolved','reopened','tagged','replied','escalated','leaked','stage',
  'reengaged','reengage_skipped',
  'appointment_offered','appointment_booked','appointment_cancelled'));
