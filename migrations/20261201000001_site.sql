-- The marketing site: pages built from blocks (draft, revisions, schedule, preview links),
-- reusable global blocks, leads from the site's forms, and first-party conversion events.
-- These are the platform's own tables, not a tenant's: no row-level security; the server
-- checks CONTENT_EDITOR or ADMIN before any write.

CREATE TABLE site_pages (
  id                 uuid PRIMARY KEY,
  kind               text NOT NULL CHECK (kind IN ('page','case_study','article')),
  slug               text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 2 AND 60),
  -- The working copy (a PageContent document) and its optimistic-lock version: a save names the
  -- version it started from and is refused when someone else saved in between.
  draft              jsonb NOT NULL,
  draft_version      integer NOT NULL DEFAULT 1 CHECK (draft_version > 0),
  draft_saved_by     uuid REFERENCES users(id) ON DELETE SET NULL,
  draft_saved_at     timestamptz NOT NULL DEFAULT now(),
  published_revision uuid,
  first_published_at timestamptz,
  scheduled_revision uuid,
  scheduled_at       timestamptz,
  created_by         uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT site_pages_kind_slug_key UNIQUE (kind, slug),
  CONSTRAINT site_pages_schedule_whole CHECK ((scheduled_revision IS NULL) = (scheduled_at IS NULL))
);
CREATE TRIGGER site_pages_touch BEFORE UPDATE ON site_pages FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Every publish (now, scheduled, or a rollback) keeps the content it put live.
CREATE TABLE site_revisions (
  id            uuid PRIMARY KEY,
  page_id       uuid NOT NULL REFERENCES site_pages(id) ON DELETE CASCADE,
  number        integer NOT NULL CHECK (number > 0),
  content       jsonb NOT NULL,
  reason        text NOT NULL CHECK (reason IN ('publish','schedule','rollback')),
  restored_from integer,
  created_by    uuid REFERENCES users(id) ON DELETE SET NULL,
  published_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT site_revisions_page_number_key UNIQUE (page_id, number),
  CONSTRAINT site_revisions_restore CHECK ((reason = 'rollback') = (restored_from IS NOT NULL))
);
CREATE TRIGGER site_revisions_touch BEFORE UPDATE ON site_revisions FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

ALTER TABLE site_pages
  ADD CONSTRAINT site_pages_published_fk FOREIGN KEY (published_revision) REFERENCES site_revisions(id),
  ADD CONSTRAINT site_pages_scheduled_fk FOREIGN KEY (scheduled_revision) REFERENCES site_revisions(id);
CREATE INDEX site_pages_due ON site_pages (scheduled_at) WHERE scheduled_at IS NOT NULL;

-- Reusable blocks, referenced (never copied) by `global` blocks: saving one changes every page
-- that shows it.
CREATE TABLE site_globals (
  id          uuid PRIMARY KEY,
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  blocks      jsonb NOT NULL,
  version     integer NOT NULL DEFAULT 1 CHECK (version > 0),
  updated_by  uuid REFERENCES users(id) ON DELETE SET NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT site_globals_name_key UNIQUE (name)
);
CREATE TRIGGER site_globals_touch BEFORE UPDATE ON site_globals FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Shareable preview links of a page's draft: only the SHA-256 of the token is kept.
CREATE TABLE site_preview_links (
  token_hash  text PRIMARY KEY,
  page_id     uuid NOT NULL REFERENCES site_pages(id) ON DELETE CASCADE,
  created_by  uuid REFERENCES users(id) ON DELETE SET NULL,
  expires_at  timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER site_preview_links_touch BEFORE UPDATE ON site_preview_links FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

-- Leads from the site's forms, stored before the visitor gets an answer; the lead engine picks
-- them up later (picked_up_at).
CREATE TABLE site_leads (
  id            uuid PRIMARY KEY,
  form          text NOT NULL CHECK (form IN ('contact','book_call','proposal')),
  name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  email         text NOT NULL CHECK (email = lower(email)),
  phone         text,
  company       text,
  message       text,
  details       jsonb NOT NULL DEFAULT '{}',
  consent_at    timestamptz NOT NULL,
  consent_text  text NOT NULL,
  ip            text,
  user_agent    text,
  utm_source    text,
  utm_medium    text,
  utm_campaign  text,
  utm_term      text,
  utm_content   text,
  source_page   text NOT NULL,
  referrer      text,
  cta           text,
  picked_up_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER site_leads_touch BEFORE UPDATE ON site_leads FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE INDEX site_leads_new ON site_leads (created_at) WHERE picked_up_at IS NULL;

-- First-party conversion events: page views and CTA clicks (from the page's own small script)
-- and form submissions (recorded by the server). `visitor` is a daily-rotating hash, never an
-- IP or a cookie.
CREATE TABLE site_events (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL CHECK (kind IN ('view','cta_click','form_submit')),
  path        text NOT NULL CHECK (length(path) BETWEEN 1 AND 300),
  cta         text CHECK (length(cta) <= 48),
  target      text CHECK (length(target) <= 300),
  visitor     text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX site_events_report ON site_events (created_at, path, kind);

GRANT SELECT, INSERT, UPDATE, DELETE ON site_pages, site_revisions, site_globals, site_preview_links TO fluxorae_app;
GRANT SELECT, INSERT, UPDATE ON site_leads TO fluxorae_app;
GRANT SELECT, INSERT ON site_events TO fluxorae_app;
