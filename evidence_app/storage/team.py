"""Team mode on PostgreSQL: reviewer roles, grants and the server-side review rules.

On a team database each analyst connects as their own database login, and that login
is the acting reviewer (``acting_login``). Three group roles per database carry the
rights, and the server enforces them whatever the client does:

- ``<db>_analyst``: reads and edits cases, incidents and evidence; appends to the audit log.
- ``<db>_supervisor``: an analyst who may also confirm an incident (never their own proposal).
- ``<db>_auditor``: reads everything (``verify``), writes nothing.

The audit log accepts only appends (no DELETE or TRUNCATE for anyone but the owner; an
UPDATE only of an entry written in the same transaction, which is how content hashes are
sealed before commit), and every entry names the login that wrote it. Incidents may reach
"confirmed" only through a supervisor, and in a four-eyes case only on a proposal made by
another login. This module is the only one that knows these SQL statements.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from evidence_app.domain.errors import UserError, ValidationError

ROLES = ("analyst", "supervisor", "auditor")
TEAM_KEY = "team_mode"
_NAME = re.compile(r"^[a-z_][a-z0-9_.-]{0,62}$")
# Tables no client role may change: the schema version, and the log (append-only, below).
_READ_ONLY_TABLES = ("alembic_version",)


def check_login_name(name: str) -> str:
    """A reviewer login: lower-case letters, digits, ``_ . -``; it becomes a database role name."""
    if not _NAME.match(name):
        raise ValidationError(
            f"reviewer name {name!r}: expected lower-case letters, digits, '_', '.' or '-',"
            " starting with a letter, at most 63 characters",
            field="name",
        )
    return name


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def group_role(database: str, role: str) -> str:
    if role not in ROLES:
        raise ValidationError(f"role {role!r}: expected one of {', '.join(ROLES)}", field="role")
    return f"{database}_{role}"[:63]


def _require_postgresql(conn: Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise UserError("team mode needs a PostgreSQL store (--db postgresql://...); this store is SQLite")


def is_team_database(conn: Connection) -> bool:
    if conn.dialect.name != "postgresql":
        return False
    return conn.execute(text("SELECT value FROM store_meta WHERE key = :k"), {"k": TEAM_KEY}).scalar() == "1"


def acting_login(engine: Engine) -> str | None:
    """The database login that acts on a team database (None for any other store)."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        if not is_team_database(conn):
            return None
        return str(conn.execute(text("SELECT session_user")).scalar())


_RULES_SQL = """
CREATE OR REPLACE FUNCTION evidence_is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = session_user AND rolsuper)
        OR EXISTS (SELECT 1 FROM pg_database d JOIN pg_roles r ON r.oid = d.datdba
                   WHERE d.datname = current_database() AND r.rolname = session_user)
$$;

CREATE OR REPLACE FUNCTION evidence_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NEW.actor IS DISTINCT FROM session_user::text AND NOT evidence_is_admin() THEN
            RAISE EXCEPTION 'audit entries are written in your own name (%), not %', session_user, NEW.actor
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'UPDATE' THEN
        -- Only an entry this transaction wrote (its content hashes are sealed before commit).
        IF (SELECT xmin::text::bigint FROM audit_entries WHERE seq = OLD.seq) <> (txid_current() % 4294967296)
           OR NEW.seq <> OLD.seq OR NEW.actor IS DISTINCT FROM OLD.actor THEN
            RAISE EXCEPTION 'the audit log is append-only: entry % cannot be changed', OLD.seq
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only: entries cannot be removed'
        USING ERRCODE = 'insufficient_privilege';
END $$;

DROP TRIGGER IF EXISTS evidence_audit_append_only ON audit_entries;
CREATE TRIGGER evidence_audit_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION evidence_audit_append_only();

CREATE OR REPLACE FUNCTION evidence_review_rules() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    supervisor text := left(current_database() || '_supervisor', 63);
    four_eyes boolean;
BEGIN
    IF NEW.confirmation_proposed_by IS DISTINCT FROM OLD.confirmation_proposed_by
       AND NEW.confirmation_proposed_by IS NOT NULL
       AND NEW.confirmation_proposed_by <> session_user::text THEN
        RAISE EXCEPTION 'a proposal is made in your own name (%), not %', session_user, NEW.confirmation_proposed_by
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NEW.status = 'confirmed' AND OLD.status IS DISTINCT FROM 'confirmed' THEN
        IF NOT pg_has_role(session_user, supervisor, 'MEMBER') THEN
            RAISE EXCEPTION 'only a supervisor may confirm an incident (% is not one)', session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        SELECT c.four_eyes INTO four_eyes FROM cases c WHERE c.id = NEW.case_id;
        IF four_eyes AND (OLD.confirmation_proposed_by IS NULL
                          OR OLD.confirmation_proposed_by = session_user::text) THEN
            RAISE EXCEPTION 'four-eyes review: % cannot confirm without another reviewer''s proposal', session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS evidence_review_rules ON incidents;
CREATE TRIGGER evidence_review_rules BEFORE UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION evidence_review_rules();

CREATE OR REPLACE FUNCTION evidence_four_eyes_rule() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.four_eyes AND NOT NEW.four_eyes
       AND NOT pg_has_role(session_user, left(current_database() || '_supervisor', 63), 'MEMBER') THEN
        RAISE EXCEPTION 'only a supervisor may turn four-eyes review off'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

DROP TRIGGER IF EXISTS evidence_four_eyes_rule ON cases;
CREATE TRIGGER evidence_four_eyes_rule BEFORE UPDATE ON cases
    FOR EACH ROW EXECUTE FUNCTION evidence_four_eyes_rule();
"""


@dataclass(frozen=True)
class TeamSetup:
    database: str
    roles: dict[str, str]  # role -> group role name


def init_team(conn: Connection) -> TeamSetup:
    """Create the three group roles of this database, grant them their rights, install the rules.

    Run by the administrator (the database owner or a superuser); safe to run again,
    for instance after an upgrade added tables.
    """
    _require_postgresql(conn)
    database = str(conn.execute(text("SELECT current_database()")).scalar())
    roles = {role: group_role(database, role) for role in ROLES}
    for name in roles.values():
        exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(text(f"CREATE ROLE {_q(name)} NOLOGIN"))
    analyst, supervisor, auditor = roles["analyst"], roles["supervisor"], roles["auditor"]
    statements = [
        f"GRANT {_q(analyst)} TO {_q(supervisor)}",
        f"REVOKE ALL ON DATABASE {_q(database)} FROM PUBLIC",
        f"GRANT CONNECT, TEMPORARY ON DATABASE {_q(database)} TO {_q(analyst)}, {_q(auditor)}",
        "REVOKE ALL ON SCHEMA public FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA public TO {_q(analyst)}, {_q(auditor)}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {_q(analyst)}, {_q(auditor)}",
        f"GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {_q(analyst)}",
        f"REVOKE INSERT, UPDATE, DELETE ON alembic_version FROM {_q(analyst)}",
        f"REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries FROM {_q(analyst)}",
        f"GRANT UPDATE (content, hash) ON audit_entries TO {_q(analyst)}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {_q(analyst)}",
        f"GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO {_q(auditor)}",
    ]
    for statement in statements:
        conn.execute(text(statement))
    _run_script(conn, _RULES_SQL)
    conn.execute(
        text("INSERT INTO store_meta (key, value) VALUES (:k, '1') ON CONFLICT (key) DO UPDATE SET value = '1'"),
        {"k": TEAM_KEY},
    )
    return TeamSetup(database, roles)


def add_reviewer(conn: Connection, name: str, role: str, *, password: str | None = None) -> str:
    """Create (or update) a reviewer's login and make it a member of exactly one of the three roles.

    Returns the group role granted. Without a password the login can only connect the
    way the server's pg_hba.conf allows without one (peer or certificate authentication).
    """
    _require_postgresql(conn)
    if not is_team_database(conn):
        raise UserError("this database is not set up for a team yet: run `evidence-app team init` first")
    check_login_name(name)
    database = str(conn.execute(text("SELECT current_database()")).scalar())
    wanted = group_role(database, role)
    exists = conn.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": name}).scalar()
    if not exists:
        conn.execute(text(f"CREATE ROLE {_q(name)} LOGIN"))
    if password is not None:
        conn.execute(text(f"ALTER ROLE {_q(name)} PASSWORD {_literal(password)}"))
    for other in ROLES:
        group = group_role(database, other)
        if group != wanted:
            conn.execute(text(f"REVOKE {_q(group)} FROM {_q(name)}"))
    conn.execute(text(f"GRANT {_q(wanted)} TO {_q(name)}"))
    return wanted


def _run_script(conn: Connection, script: str) -> None:
    """Several statements (with ``%`` in their messages) in the connection's transaction, unparsed."""
    cursor = conn.connection.cursor()
    try:
        cursor.execute(script)
    finally:
        cursor.close()


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def reviewers(conn: Connection) -> list[tuple[str, str]]:
    """(login, role) of every member of this database's three roles."""
    _require_postgresql(conn)
    database = str(conn.execute(text("SELECT current_database()")).scalar())
    out: list[tuple[str, str]] = []
    for role in ROLES:
        rows = conn.execute(
            text(
                "SELECT m.rolname FROM pg_auth_members am JOIN pg_roles g ON g.oid = am.roleid"
                " JOIN pg_roles m ON m.oid = am.member WHERE g.rolname = :g AND m.rolcanlogin ORDER BY 1"
            ),
            {"g": group_role(database, role)},
        )
        out.extend((str(name), role) for (name,) in rows)
    return out
