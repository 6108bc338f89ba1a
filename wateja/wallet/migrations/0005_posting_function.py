"""The posting of an earn, an award, a spend and a hold as one PL/pgSQL function, so that on
PostgreSQL each of them is one round trip (`wateja/wallet/pg_posting.py` calls it).

`wateja/core/ledger.py` stays the reference for the arithmetic; this function is its second
implementation, kept equal to the Python path by tests/wallet/test_posting_differential.py.
A change to it is a new migration with `CREATE OR REPLACE FUNCTION` (this one is never edited
once applied). SQLite has no such functions: there the migration does nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

EXPIRY = r"""
CREATE OR REPLACE FUNCTION wallet_expiry(
    p_rule text, p_n integer, p_date date, p_at timestamptz, p_tz text
) RETURNS timestamptz
LANGUAGE sql STABLE AS $fn$
    -- ledger.expiry_for: the first instant after the last local day, as a UTC moment
    SELECT CASE p_rule
        WHEN 'days' THEN
            ((p_at AT TIME ZONE p_tz)::date + p_n + 1)::timestamp AT TIME ZONE p_tz
        WHEN 'rolling' THEN
            ((p_at AT TIME ZONE p_tz)::date + p_n + 1)::timestamp AT TIME ZONE p_tz
        WHEN 'end_of_month' THEN
            (make_date(extract(year FROM p_at AT TIME ZONE p_tz)::integer,
                       extract(month FROM p_at AT TIME ZONE p_tz)::integer, 1)
             + make_interval(months => p_n + 1)) AT TIME ZONE p_tz
        WHEN 'end_of_year' THEN
            make_date(extract(year FROM p_at AT TIME ZONE p_tz)::integer + p_n + 1, 1, 1)
                ::timestamp AT TIME ZONE p_tz
        WHEN 'fixed_date' THEN (p_date + 1)::timestamp AT TIME ZONE p_tz
        ELSE NULL
    END
$fn$;
"""

POST = r"""
CREATE OR REPLACE FUNCTION wallet_post(
    p_business bigint,
    p_customer bigint,
    p_inactive text,         -- '' or the refusal: customer_inactive, customer_blocked
    p_key text,
    p_action text,           -- earn, award (credit the customer), spend, hold (debit)
    p_hash text,
    p_kind text,
    p_amount bigint,
    p_pending_days integer,  -- a credit: NULL means the settings' return window
    p_hold_minutes integer,  -- a hold: its minutes
    p_actor integer,
    p_api_key bigint,
    p_location bigint,
    p_reason text,
    p_reference text,
    p_now timestamptz
) RETURNS jsonb
LANGUAGE plpgsql AS $fn$
DECLARE
    s record;
    v_credit_customer boolean := p_action IN ('earn', 'award', 'grant');
    v_system text;
    v_max bigint;
    v_op bigint;
    v_old record;
    v_acc record;
    v_sys record;
    v_hold record;
    v_lot record;
    v_days integer;
    v_pending boolean;
    v_timeout timestamptz;
    v_on_timeout text;
    v_code text;
    v_status text;
    v_transfer bigint;
    v_available bigint;
    v_balance bigint;
    v_expires timestamptz;
    v_left bigint;
    v_take bigint;
    v_result jsonb;
    v_detail text;
BEGIN
    -- the wallet settings with the business's time zone, created with the defaults on first
    -- use (the defaults of models.WalletSettings; a test compares them)
    SELECT ws.*, b.timezone AS tz INTO s
        FROM wallet_walletsettings ws JOIN tenants_business b ON b.id = ws.business_id
        WHERE ws.business_id = p_business;
    IF NOT FOUND THEN
        INSERT INTO wallet_walletsettings (business_id, expiry_rule, expiry_n, expiry_date,
            pending_days, allow_gifting, clawback, max_points_per_operation,
            max_money_minor_per_operation, topup_bonus_bp, manager_daily_points,
            manager_daily_money_minor, point_value_minor)
        VALUES (p_business, 'never', 0, NULL, 0, false, 'negative', 10000000, 100000000, 0,
            50000, 5000000, 100)
        ON CONFLICT DO NOTHING;
        SELECT ws.*, b.timezone AS tz INTO s
            FROM wallet_walletsettings ws JOIN tenants_business b ON b.id = ws.business_id
            WHERE ws.business_id = p_business;
    END IF;
    v_max := CASE WHEN p_kind = 'points' THEN s.max_points_per_operation
                  ELSE s.max_money_minor_per_operation END;
    IF p_amount > v_max THEN
        RETURN jsonb_build_object('error', 'invalid_amount',
                                  'details', jsonb_build_object('max', v_max));
    END IF;

    BEGIN  -- a refusal below undoes everything this block wrote and is answered as JSON
        INSERT INTO wallet_operation (business_id, "key", action, request_hash, result,
            actor_id, api_key_id, location_id, reason, reference, created_at)
        VALUES (p_business, p_key, p_action, p_hash, '{}'::jsonb, p_actor, p_api_key,
            p_location, p_reason, p_reference, now())
        ON CONFLICT (business_id, "key") DO NOTHING
        RETURNING id INTO v_op;
        IF v_op IS NULL THEN  -- the key was used: the stored result, or a refusal
            SELECT id, action, request_hash, result INTO v_old
                FROM wallet_operation WHERE business_id = p_business AND "key" = p_key;
            IF v_old.request_hash <> p_hash THEN
                RAISE EXCEPTION USING ERRCODE = 'WJ001', MESSAGE = 'idempotency_key_reused',
                    DETAIL = jsonb_build_object('operation_id', v_old.id)::text;
            END IF;
            RETURN jsonb_build_object('replayed', true, 'operation_id', v_old.id,
                                      'action', v_old.action, 'result', v_old.result);
        END IF;
        IF p_inactive <> '' THEN
            RAISE EXCEPTION USING ERRCODE = 'WJ001', MESSAGE = p_inactive, DETAIL = '{}';
        END IF;

        -- the accounts, created before any lock is taken (see services._ensure_accounts)
        v_system := CASE
            WHEN NOT v_credit_customer THEN 'redemption'
            WHEN p_kind = 'store_credit' THEN 'topup'
            ELSE 'issuance' END;
        PERFORM 1 FROM wallet_account
            WHERE business_id = p_business AND customer_id = p_customer AND kind = p_kind;
        IF NOT FOUND THEN
            INSERT INTO wallet_account (business_id, customer_id, system, kind, balance,
                pending_debits, pending_credits, allow_negative, last_activity_at, created_at)
            VALUES (p_business, p_customer, '', p_kind, 0, 0, 0, false, NULL, now())
            ON CONFLICT DO NOTHING;
        END IF;
        SELECT id, kind, allow_negative INTO v_sys FROM wallet_account
            WHERE business_id = p_business AND customer_id IS NULL
              AND system = v_system AND kind = p_kind;
        IF NOT FOUND THEN
            INSERT INTO wallet_account (business_id, customer_id, system, kind, balance,
                pending_debits, pending_credits, allow_negative, last_activity_at, created_at)
            VALUES (p_business, NULL, v_system, p_kind, 0, 0, 0, true, NULL, now())
            ON CONFLICT DO NOTHING;
            SELECT id, kind, allow_negative INTO v_sys FROM wallet_account
                WHERE business_id = p_business AND customer_id IS NULL
                  AND system = v_system AND kind = p_kind;
        END IF;

        -- every account of the customer locked, in ascending id order (services._hold)
        PERFORM 1 FROM wallet_account
            WHERE business_id = p_business AND customer_id = p_customer
            ORDER BY id FOR UPDATE;
        -- an expired hold stops holding at once (services._void_expired_holds)
        FOR v_hold IN
            SELECT t.id, t.amount, t.debit_account_id, t.credit_account_id
            FROM wallet_transfer t
            WHERE t.debit_account_id IN (
                    SELECT id FROM wallet_account
                    WHERE business_id = p_business AND customer_id = p_customer
                      AND pending_debits > 0)
              AND t.status = 'pending' AND t.on_timeout = 'void' AND t.timeout_at < p_now
            ORDER BY t.id FOR UPDATE OF t
        LOOP
            UPDATE wallet_account SET pending_debits = pending_debits - v_hold.amount
                WHERE id = v_hold.debit_account_id AND customer_id IS NOT NULL;
            UPDATE wallet_account SET pending_credits = pending_credits - v_hold.amount
                WHERE id = v_hold.credit_account_id AND customer_id IS NOT NULL;
            UPDATE wallet_transfer SET status = 'voided', resolved_at = p_now
                WHERE id = v_hold.id;
        END LOOP;
        SELECT id, kind, balance, pending_debits, allow_negative INTO v_acc
            FROM wallet_account
            WHERE business_id = p_business AND customer_id = p_customer AND kind = p_kind;

        IF v_credit_customer THEN
            v_days := coalesce(p_pending_days, s.pending_days);
            v_pending := v_days > 0;
            v_timeout := p_now + make_interval(hours => 24 * v_days);
            v_on_timeout := 'post';
            v_code := CASE WHEN p_action IN ('grant', 'award') THEN p_action ELSE 'earn' END;
            IF NOT v_sys.allow_negative AND 0 < p_amount THEN  -- system accounts keep no balance
                RAISE EXCEPTION USING ERRCODE = 'WJ001', MESSAGE = 'insufficient_balance',
                    DETAIL = jsonb_build_object('available', 0, 'wanted', p_amount,
                                                'kind', p_kind)::text;
            END IF;
        ELSE
            v_pending := coalesce(p_hold_minutes, 0) > 0;
            v_timeout := p_now + make_interval(mins => coalesce(p_hold_minutes, 0));
            v_on_timeout := 'void';
            v_code := 'spend';
            v_available := v_acc.balance - v_acc.pending_debits;
            IF NOT v_acc.allow_negative AND v_available < p_amount THEN
                RAISE EXCEPTION USING ERRCODE = 'WJ001', MESSAGE = 'insufficient_balance',
                    DETAIL = jsonb_build_object('available', greatest(v_available, 0),
                                                'wanted', p_amount, 'kind', p_kind)::text;
            END IF;
        END IF;
        v_status := CASE WHEN v_pending THEN 'pending' ELSE 'posted' END;

        INSERT INTO wallet_transfer (business_id, operation_id, debit_account_id,
            credit_account_id, amount, code, status, timeout_at, on_timeout, resolved_at,
            reverses_id, created_at)
        VALUES (p_business, v_op,
            CASE WHEN v_credit_customer THEN v_sys.id ELSE v_acc.id END,
            CASE WHEN v_credit_customer THEN v_acc.id ELSE v_sys.id END,
            p_amount, v_code, v_status,
            CASE WHEN v_pending THEN v_timeout END,
            CASE WHEN v_pending THEN v_on_timeout ELSE '' END,
            CASE WHEN v_pending THEN NULL ELSE p_now END,
            NULL, now())
        RETURNING id INTO v_transfer;

        IF v_pending THEN  -- only reserved; system accounts keep no cached figures
            IF v_credit_customer THEN
                UPDATE wallet_account SET pending_credits = pending_credits + p_amount
                    WHERE id = v_acc.id;
            ELSE
                UPDATE wallet_account SET pending_debits = pending_debits + p_amount
                    WHERE id = v_acc.id;
            END IF;
        ELSE
            INSERT INTO wallet_entry (business_id, account_id, transfer_id, amount, created_at)
            VALUES
                (p_business, CASE WHEN v_credit_customer THEN v_sys.id ELSE v_acc.id END,
                 v_transfer, -p_amount, now()),
                (p_business, CASE WHEN v_credit_customer THEN v_acc.id ELSE v_sys.id END,
                 v_transfer, p_amount, now());
            UPDATE wallet_account
                SET balance = balance + CASE WHEN v_credit_customer THEN p_amount
                                             ELSE -p_amount END,
                    last_activity_at = p_now
                WHERE id = v_acc.id
                RETURNING balance INTO v_balance;
            IF v_credit_customer THEN
                -- a lot: a credit first pays back any debt, only the rest can be spent
                v_expires := CASE WHEN p_kind = 'points' THEN
                    wallet_expiry(s.expiry_rule, s.expiry_n, s.expiry_date, p_now, s.tz) END;
                INSERT INTO wallet_lot (business_id, account_id, transfer_id, amount, remaining,
                    earned_at, expires_at, expired_at)
                VALUES (p_business, v_acc.id, v_transfer, p_amount,
                    least(p_amount, greatest(0, v_balance)), p_now, v_expires, NULL);
                IF p_kind = 'points' AND s.expiry_rule = 'rolling' THEN
                    UPDATE wallet_lot SET expires_at = v_expires
                        WHERE account_id = v_acc.id AND remaining > 0 AND expired_at IS NULL;
                END IF;
            ELSE
                -- ledger.consume: soonest expiry first, lots without expiry last, older ids
                -- first among equals; beyond the lots is debt (a clawback below zero)
                v_left := p_amount;
                FOR v_lot IN
                    SELECT id, remaining FROM wallet_lot
                    WHERE account_id = v_acc.id AND remaining > 0
                    ORDER BY expires_at ASC NULLS LAST, id
                LOOP
                    v_take := least(v_lot.remaining, v_left);
                    UPDATE wallet_lot SET remaining = remaining - v_take WHERE id = v_lot.id;
                    INSERT INTO wallet_lotuse (business_id, lot_id, transfer_id, amount)
                        VALUES (p_business, v_lot.id, v_transfer, v_take);
                    v_left := v_left - v_take;
                    EXIT WHEN v_left = 0;
                END LOOP;
            END IF;
        END IF;

        v_result := jsonb_build_object(
            'operation_id', v_op,
            'action', p_action,
            'transfers', jsonb_build_array(jsonb_build_object(
                'id', v_transfer, 'code', v_code, 'amount', p_amount, 'status', v_status,
                'kind', p_kind)),
            'balances', (SELECT jsonb_object_agg(customer_id || ':' || kind, balance)
                         FROM wallet_account
                         WHERE business_id = p_business AND customer_id = p_customer),
            'notes', '{}'::jsonb);
        UPDATE wallet_operation SET result = v_result WHERE id = v_op;
        RETURN jsonb_build_object('replayed', false, 'result', v_result);
    EXCEPTION WHEN SQLSTATE 'WJ001' THEN
        GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
        RETURN jsonb_build_object('error', SQLERRM, 'details', v_detail::jsonb);
    END;
END
$fn$;
"""

DROP = "DROP FUNCTION IF EXISTS wallet_post; DROP FUNCTION IF EXISTS wallet_expiry;"


def create(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(EXPIRY)
        schema_editor.execute(POST)


def drop(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("wallet", "0004_opening_balance")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
