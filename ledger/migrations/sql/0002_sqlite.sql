-- Losses on SQLite (migration 0002): a fire or pest loss cancels buffer units first, and a loss
-- the buffer cannot cover leaves a buffer_short alert row. SQLite has no deferred triggers, so
-- the loss is checked when its row is inserted, and that row comes last: the ledger writes a
-- loss's cancellations, alerts and blocks first (with PRAGMA defer_foreign_keys, see
-- ledger.losses.write_loss) and a cancellation written after its loss row is refused.
-- Statements are separated by lines "-- ;;".

CREATE TRIGGER ledger_loss_units BEFORE INSERT ON ledger_loss
WHEN NEW.from_buffer_units < 0 OR NEW.from_parcel_units < 0 OR NEW.uncovered_units < 0
  OR (NEW.scheme_code IS NULL AND NEW.reversal_units <> 0)
BEGIN
    SELECT RAISE(ABORT, '[buffer_first] ledger: buffer, parcel and uncovered units of a loss are never negative, and units to reverse name their scheme');
END;
-- ;;
CREATE TRIGGER ledger_loss_cancellations BEFORE INSERT ON ledger_loss
WHEN COALESCE((SELECT SUM(c.quantity) FROM ledger_cancellation c
               WHERE c.loss_id = NEW.loss_id AND c.kind = 'loss_buffer'), 0)
     <> NEW.from_buffer_units
  OR COALESCE((SELECT SUM(c.quantity) FROM ledger_cancellation c
               WHERE c.loss_id = NEW.loss_id AND c.kind = 'loss_parcel'), 0)
     <> NEW.from_parcel_units
  OR EXISTS (SELECT 1 FROM ledger_cancellation c
               JOIN ledger_account a ON a.account_id = c.account_id
              WHERE c.loss_id = NEW.loss_id
                AND ((c.kind = 'loss_buffer'
                      AND NOT (a.kind = 'buffer' AND a.scheme_code IS NEW.scheme_code))
                     OR (c.kind = 'loss_parcel' AND a.kind = 'buffer')))
BEGIN
    SELECT RAISE(ABORT, '[buffer_first] ledger: the buffer and parcel units of a loss must equal its loss_buffer and loss_parcel cancellations (from the scheme''s buffer account and from other accounts), written before the loss row');
END;
-- ;;
CREATE TRIGGER ledger_loss_buffer_first BEFORE INSERT ON ledger_loss
WHEN NEW.from_parcel_units + NEW.uncovered_units > 0
 AND EXISTS (SELECT 1 FROM ledger_block b JOIN ledger_account a ON a.account_id = b.account_id
              WHERE a.kind = 'buffer' AND a.scheme_code = NEW.scheme_code
                AND b.scheme_code = NEW.scheme_code
                AND b.closed_event_id IS NULL AND b.state = 'held')
BEGIN
    SELECT RAISE(ABORT, '[buffer_first] ledger: a loss takes units from the parcel or leaves them uncovered only when the scheme''s buffer holds no units (a loss cancels buffer units first)');
END;
-- ;;
CREATE TRIGGER ledger_loss_alert BEFORE INSERT ON ledger_loss
WHEN NEW.from_parcel_units + NEW.uncovered_units > 0
 AND NOT EXISTS (SELECT 1 FROM ledger_alert al
                  WHERE al.loss_id = NEW.loss_id AND al.kind = 'buffer_short'
                    AND al.scheme_code = NEW.scheme_code
                    AND al.shortfall_units = NEW.from_parcel_units + NEW.uncovered_units)
BEGIN
    SELECT RAISE(ABORT, '[buffer_first] ledger: a loss short of buffer must leave a buffer_short alert row for its shortfall, written before the loss row');
END;
-- ;;
CREATE TRIGGER ledger_cancellation_before_loss BEFORE INSERT ON ledger_cancellation
WHEN NEW.loss_id IS NOT NULL
 AND EXISTS (SELECT 1 FROM ledger_loss l WHERE l.loss_id = NEW.loss_id)
BEGIN
    SELECT RAISE(ABORT, '[buffer_first] ledger: a loss''s cancellations are written before its loss row, never added to a recorded loss');
END;
