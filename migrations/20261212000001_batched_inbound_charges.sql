-- The intake charges the inbound messages of a batch to a team as one row per kind of message
-- (`units` messages at the rate card's price each), not one row per message: under a flood of
-- messages the per-message rows and their index entries were a tenth of the database's work.
-- Each message is still charged exactly once: the charge is made in the transaction that
-- first stores the message, and a message already stored (a retry, a duplicate) is not counted.
-- Every other charge is one operation (`units` = 1).
ALTER TABLE token_charges
  ADD COLUMN units integer NOT NULL DEFAULT 1 CHECK (units >= 1);
