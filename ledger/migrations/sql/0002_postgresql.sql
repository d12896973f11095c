-- Losses on PostgreSQL (migration 0002): a fire or pest loss cancels buffer units first, and a
-- loss the buffer cannot cover leaves a buffer_short alert row. The check runs when the
-- transaction commits (DEFERRABLE INITIALLY DEFERRED constraint triggers), so it sees the loss
-- row, its cancellations, its alert and the blocks those cancellations closed, in whatever order
-- they were written. Statements are separated by lines "-- ;;".

CREATE FUNCTION ledger_loss_verify(p_loss_id bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    l ledger_loss%ROWTYPE;
    short bigint;
    took_buffer bigint;
    took_parcel bigint;
    held bigint;
BEGIN
    SELECT * INTO l FROM ledger_loss WHERE loss_id = p_loss_id;
    IF NOT FOUND THEN
        RETURN;  -- a cancellation's loss row is checked by its own trigger (and the foreign key)
    END IF;
    IF l.from_buffer_units < 0 OR l.from_parcel_units < 0 OR l.uncovered_units < 0
       OR (l.scheme_code IS NULL AND l.reversal_units <> 0) THEN
        RAISE EXCEPTION '[buffer_first] ledger: loss % on parcel %: buffer, parcel and uncovered units are never negative, and units to reverse name their scheme',
            l.loss_id, l.parcel_id USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    SELECT COALESCE(SUM(quantity) FILTER (WHERE kind = 'loss_buffer'), 0),
           COALESCE(SUM(quantity) FILTER (WHERE kind = 'loss_parcel'), 0)
      INTO took_buffer, took_parcel
      FROM ledger_cancellation WHERE loss_id = l.loss_id;
    IF took_buffer <> l.from_buffer_units OR took_parcel <> l.from_parcel_units THEN
        RAISE EXCEPTION '[buffer_first] ledger: loss % on parcel % says % unit(s) from the buffer and % from the parcel; its loss_buffer and loss_parcel cancellations took % and %',
            l.loss_id, l.parcel_id, l.from_buffer_units, l.from_parcel_units, took_buffer,
            took_parcel USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF EXISTS (SELECT 1 FROM ledger_cancellation c
                 JOIN ledger_account a ON a.account_id = c.account_id
                WHERE c.loss_id = l.loss_id
                  AND ((c.kind = 'loss_buffer'
                        AND NOT (a.kind = 'buffer' AND a.scheme_code IS NOT DISTINCT FROM l.scheme_code))
                       OR (c.kind = 'loss_parcel' AND a.kind = 'buffer'))) THEN
        RAISE EXCEPTION '[buffer_first] ledger: loss % on parcel %: loss_buffer cancellations come from the buffer account of scheme %, loss_parcel ones from other accounts',
            l.loss_id, l.parcel_id, l.scheme_code
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    short := l.from_parcel_units + l.uncovered_units;
    IF short = 0 THEN
        RETURN;
    END IF;
    SELECT COALESCE(SUM(b.serial_end - b.serial_start + 1), 0) INTO held
      FROM ledger_block b JOIN ledger_account a ON a.account_id = b.account_id
     WHERE a.kind = 'buffer' AND a.scheme_code = l.scheme_code
       AND b.scheme_code = l.scheme_code
       AND b.closed_event_id IS NULL AND b.state = 'held';
    IF held > 0 THEN
        RAISE EXCEPTION '[buffer_first] ledger: loss % on parcel % takes % unit(s) from the parcel and leaves % uncovered while the % buffer still holds % unit(s) (a loss cancels buffer units first)',
            l.loss_id, l.parcel_id, l.from_parcel_units, l.uncovered_units, l.scheme_code, held
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM ledger_alert al
                    WHERE al.loss_id = l.loss_id AND al.kind = 'buffer_short'
                      AND al.scheme_code = l.scheme_code AND al.shortfall_units = short) THEN
        RAISE EXCEPTION '[buffer_first] ledger: loss % on parcel % is % % unit(s) short of buffer and has no buffer_short alert row for them',
            l.loss_id, l.parcel_id, short, l.scheme_code
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
END $$;
-- ;;
CREATE FUNCTION ledger_loss_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM ledger_loss_verify(NEW.loss_id);
    RETURN NULL;
END $$;
-- ;;
CREATE CONSTRAINT TRIGGER ledger_loss_check AFTER INSERT ON ledger_loss
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ledger_loss_check();
-- ;;
-- A cancellation added to a loss (in its transaction or a later one) is checked against it too.
CREATE CONSTRAINT TRIGGER ledger_loss_cancellation_check AFTER INSERT ON ledger_cancellation
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.loss_id IS NOT NULL) EXECUTE FUNCTION ledger_loss_check();
