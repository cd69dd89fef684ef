"""Every Piccolo table class matches the migrated database (DESIGN §8: "Piccolo table classes
that exist must match the database"). The migrations are SQL, so nothing else keeps the
classes in step: a class that drifts is a query that fails, or silently misses a column, the
first time someone uses it.

For each class of every app in Piccolo's registry: its table exists; every column of the
class exists with a compatible type and the same nullability; and no database column is
missing from the class.
"""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from piccolo.columns import (
    JSON,
    JSONB,
    UUID,
    Array,
    BigInt,
    Boolean,
    Bytea,
    Date,
    Decimal,
    DoublePrecision,
    ForeignKey,
    Integer,
    Interval,
    Numeric,
    Real,
    Serial,
    SmallInt,
    Text,
    Time,
    Timestamp,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from sila.piccolo_conf import APP_REGISTRY
from support.db import owner_connection

# Piccolo column class -> the information_schema data types it may be stored as.
COMPATIBLE: dict[type, set[str]] = {
    UUID: {"uuid"},
    Varchar: {"character varying", "character", "text"},  # char(n): fixed-length hashes
    Text: {"text", "character varying", "citext"},
    Boolean: {"boolean"},
    Integer: {"integer"},
    Serial: {"integer"},
    SmallInt: {"smallint"},
    BigInt: {"bigint"},
    Real: {"real"},
    DoublePrecision: {"double precision"},
    Numeric: {"numeric"},
    Decimal: {"numeric"},
    Date: {"date"},
    Time: {"time without time zone"},
    Timestamp: {"timestamp without time zone"},
    Timestamptz: {"timestamp with time zone"},
    Interval: {"interval"},
    JSON: {"json", "jsonb"},
    JSONB: {"jsonb"},
    Bytea: {"bytea"},
    Array: {"ARRAY"},
}


def table_classes() -> list[type[Table]]:
    classes: list[type[Table]] = []
    for app in APP_REGISTRY.app_configs.values():
        classes.extend(app.table_classes)
    return classes


def expected_type(column: Any) -> set[str]:
    if isinstance(column, ForeignKey):
        # A foreign key is stored as its target's primary key type.
        return expected_type(column._foreign_key_meta.resolved_references._meta.primary_key)
    for cls in type(column).__mro__:
        if cls in COMPATIBLE:
            return COMPATIBLE[cls]
    raise AssertionError(f"no known database type for {type(column).__name__}")


Columns = dict[str, tuple[str, bool, int | None]]  # name -> (data type, nullable, max length)


async def schema(owner_url: str) -> dict[str, Columns]:
    conn = await owner_connection(owner_url)
    try:
        rows = await conn.fetch(
            "SELECT table_name, column_name, data_type, is_nullable = 'YES' AS nullable, "
            "character_maximum_length AS length "
            "FROM information_schema.columns WHERE table_schema = 'public'"
        )
    finally:
        await conn.close()
    tables: dict[str, Columns] = {}
    for row in rows:
        tables.setdefault(row["table_name"], {})[row["column_name"]] = (row["data_type"], row["nullable"], row["length"])
    return tables


@pytest.fixture(scope="module")
def database(sila_env: Any) -> dict[str, Columns]:
    return asyncio.run(schema(sila_env.values["SILA_DATABASE_URL"]))


def test_registry_lists_every_table_module() -> None:
    """Each area's tables.py is registered in its piccolo_app, so the check below sees it."""
    import importlib
    import pkgutil

    import sila

    registered = {cls for cls in table_classes()}
    defined: set[type[Table]] = set()
    for info in pkgutil.walk_packages(sila.__path__, "sila."):
        if info.name.endswith(".tables"):
            module = importlib.import_module(info.name)
            defined |= {
                obj for obj in vars(module).values()
                if isinstance(obj, type) and issubclass(obj, Table) and obj is not Table
                and obj.__module__ == module.__name__
            }
    assert defined, "no table modules found"
    assert defined - registered == set(), "table classes missing from their piccolo_app"


@pytest.mark.parametrize("table", table_classes(), ids=lambda t: t._meta.tablename)
def test_table_class_matches_database(table: type[Table], database: dict[str, Columns]) -> None:
    name = table._meta.tablename
    assert name in database, f"{table.__name__}: table {name} does not exist"
    actual = database[name]
    problems: list[str] = []
    declared = {column._meta.db_column_name: column for column in table._meta.columns}
    for column_name, column in declared.items():
        if column_name not in actual:
            problems.append(f"column {column_name} is not in the database")
            continue
        data_type, nullable, length = actual[column_name]
        if data_type not in expected_type(column):
            problems.append(f"column {column_name}: class says {type(column).__name__}, database has {data_type}")
        elif isinstance(column, Varchar) and length is not None and column.length != length:
            problems.append(f"column {column_name}: class says length {column.length}, database has {length}")
        if bool(column._meta.null) != nullable and not column._meta.primary_key:
            problems.append(
                f"column {column_name}: class says {'NULL' if column._meta.null else 'NOT NULL'}, "
                f"database has {'NULL' if nullable else 'NOT NULL'}"
            )
    for column_name in sorted(set(actual) - set(declared)):
        problems.append(f"database column {column_name} is missing from the class")
    assert not problems, f"{table.__name__} ({name}):\n  " + "\n  ".join(problems)
