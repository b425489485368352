"""Which column of a Multichat CSV plays which role: by header name, by the cells, or by override.

Real accounts name their columns as they please (`tipo` may hold the sender or the media type),
so a role is settled in this order:

1. `MULTICHAT_COLUMNS` (e.g. `sender=tipo,message_type=tipo_mensaje`): the operator's word wins;
2. roles a column's *values* reveal: sender words (entrante, saliente, cliente, bot, asesor, ...)
   make the sender column, media words (texto, imagen, documento, ...) the message type, and
   dates, times or both make the time columns, whatever the header says; a header that names the
   role breaks a tie, a header that names another role rules a column out;
3. the remaining roles by header name (Spanish and English vocabularies, accents, case and
   spacing ignored).

Two columns that fit a role equally well are an error that names both and the override to set,
never a guess; so is a required role that nothing claims (with two sample values per column).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

import pyarrow as pa
import pyarrow.compute as pc

from chat_assets import canonical, datetimes
from chat_assets.errors import ConfigError


def canon(name: str) -> str:
    """`ID Conversación` -> `id_conversacion`: what a header means, without accents, case or spacing."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


ROLES = (
    "conversation_id",
    "datetime",
    "date",
    "time",
    "sender",
    "message_type",
    "text",
    "agent",
    "customer_id",
    "customer_name",
    "message_id",
    "media_url",
)
TIME_ROLES = ("datetime", "date", "time")
NAMES: dict[str, tuple[str, ...]] = {
    "conversation_id": (
        "id_conversacion",
        "conversacion",
        "id_conversation",
        "conversation_id",
        "conversation",
        "id_chat",
        "chat_id",
        "ticket",
        "id_ticket",
        "id_sesion",
        "sesion",
        "session_id",
    ),
    "datetime": (
        "fecha_hora",
        "fecha_y_hora",
        "datetime",
        "date_time",
        "timestamp",
        "fecha_mensaje",
        "fecha_envio",
        "fecha_de_envio",
        "created_at",
        "fecha_creacion",
        "fecha",
    ),
    "date": ("fecha", "date", "dia", "fecha_mensaje"),
    "time": ("hora", "time", "hora_mensaje", "hora_envio"),
    "sender": (
        "direccion",
        "direction",
        "sentido",
        "tipo_envio",
        "flujo",
        "origen",
        "remitente",
        "emisor",
        "enviado_por",
        "from",
        "sender",
        "autor",
        "rol",
        "role",
        "tipo_remitente",
        "tipo",
    ),
    "message_type": (
        "tipo_mensaje",
        "message_type",
        "type",
        "tipo_de_mensaje",
        "tipo_contenido",
        "content_type",
        "formato",
        "tipo",
    ),
    "text": (
        "mensaje",
        "message",
        "texto",
        "contenido",
        "text",
        "body",
        "mensaje_texto",
        "contenido_mensaje",
    ),
    "agent": (
        "agente",
        "asesor",
        "agent",
        "operador",
        "usuario",
        "nombre_agente",
        "nombre_asesor",
        "agent_name",
    ),
    "customer_id": (
        "telefono",
        "numero_cliente",
        "celular",
        "customer_number",
        "customer_phone",
        "phone",
        "numero",
        "whatsapp",
        "telefono_cliente",
        "movil",
        "id_cliente",
        "customer_id",
        "numero_contacto",
    ),
    "customer_name": (
        "nombre_cliente",
        "nombre",
        "customer_name",
        "cliente",
        "name",
        "contacto",
        "nombre_contacto",
    ),
    "message_id": ("id_mensaje", "message_id", "wamid", "id_message"),
    "media_url": (
        "url",
        "url_adjunto",
        "adjunto",
        "media",
        "media_url",
        "url_media",
        "enlace",
        "link",
        "attachment",
        "url_archivo",
    ),
}
#: Override aliases an operator may reasonably type.
ALIASES = {
    "direction": "sender",
    "direccion": "sender",
    "type": "message_type",
    "phone": "customer_id",
    "customer_phone": "customer_id",
    "fecha_hora": "datetime",
    "fecha": "date",
    "hora": "time",
    "mensaje": "text",
    "conversation": "conversation_id",
}

CUSTOMER_WORDS = (
    "entrante",
    "cliente",
    "customer",
    "inbound",
    "in",
    "recibido",
    "entrada",
    "incoming",
    "usuario",
    "user",
    "contacto",
    "contact",
)
BOT_WORDS = (
    "bot",
    "chatbot",
    "chat_bot",
    "chat bot",
    "asistente virtual",
    "asistente",
    "robot",
    "ia",
    "ai",
    "automatico",
    "automatic",
)
AGENT_WORDS = ("asesor", "agente", "agent", "operador", "operator", "humano", "human", "ejecutivo")
OUTBOUND_WORDS = ("saliente", "out", "outbound", "enviado", "salida", "outgoing", "respuesta")
SYSTEM_WORDS = ("sistema", "system", "nota", "note")
SENDER_WORDS = CUSTOMER_WORDS + BOT_WORDS + AGENT_WORDS + OUTBOUND_WORDS + SYSTEM_WORDS
TYPE_WORDS: dict[str, str] = {
    "texto": "text",
    "text": "text",
    "txt": "text",
    "chat": "text",
    "imagen": "image",
    "image": "image",
    "foto": "image",
    "photo": "image",
    "documento": "file",
    "document": "file",
    "archivo": "file",
    "file": "file",
    "pdf": "file",
    "audio": "audio",
    "nota de voz": "audio",
    "voz": "audio",
    "voice": "audio",
    "ptt": "audio",
    "video": "video",
    "ubicacion": "location",
    "location": "location",
    "sticker": "sticker",
    "contacto": "contact",
    "contact": "contact",
    "plantilla": "template",
    "template": "template",
    "botones": "buttons",
    "buttons": "buttons",
    "lista": "list",
    "list": "list",
    "interactivo": "buttons",
    "interactive": "buttons",
}
BOT_AGENT_NAMES = ("", "bot", "chatbot", "chat_bot", "chat bot", "asistente virtual", "sistema", "ia")
REQUIRED = ("conversation_id", "sender", "text")
SAMPLE_ROWS = 2000


class ColumnsError(ValueError):
    """The roles of a file's columns cannot be settled; the message says what to set."""


def parse_override(value: str | None, name: str = "MULTICHAT_COLUMNS") -> dict[str, str]:
    """`sender=tipo,message_type=tipo_mensaje` -> {role: column}; a ConfigError names what is wrong."""
    if not value or not value.strip():
        return {}
    out: dict[str, str] = {}
    for item in value.split(","):
        if not item.strip():
            continue
        role, sep, column = item.partition("=")
        role = ALIASES.get(canon(role), canon(role))
        if not sep or not column.strip():
            raise ConfigError(f"{name}: {item.strip()!r} is not role=column (e.g. sender=tipo).")
        if role not in ROLES:
            raise ConfigError(
                f"{name}: unknown role {item.partition('=')[0].strip()!r}; roles are {', '.join(ROLES)}."
            )
        if role in out:
            raise ConfigError(f"{name}: role {role!r} is given twice.")
        out[role] = column.strip()
    return out


def words(values: pa.Array) -> pa.Array:
    """Trimmed, lower-case cell values with Spanish accents folded: how vocabularies are matched."""
    return canonical.per_distinct(values, _fold)


def _fold(values: pa.Array) -> pa.Array:
    lowered = pc.utf8_lower(pc.utf8_trim_whitespace(values))
    for accented, plain in (
        ("á", "a"),
        ("é", "e"),
        ("í", "i"),
        ("ó", "o"),
        ("ú", "u"),
        ("ü", "u"),
        ("ñ", "n"),
    ):
        lowered = pc.replace_substring(lowered, accented, plain)
    return lowered


def _nonempty_sample(column: pa.Array) -> pa.Array:
    sample = column.slice(0, SAMPLE_ROWS)
    sample = pc.filter(sample, pc.not_equal(pc.utf8_trim_whitespace(sample), ""))
    return pc.unique(sample)


def _all_in(values: pa.Array, vocabulary: tuple[str, ...] | list[str]) -> bool:
    return len(values) > 0 and bool(pc.all(pc.is_in(words(values), pa.array(list(vocabulary)))).as_py())


def _time_kind(values: pa.Array) -> str | None:
    return datetimes.kind_of(values) if len(values) else None


def _name_roles(column: str) -> set[str]:
    key = canon(column)
    return {role for role, names in NAMES.items() if key in names}


def describe_columns(data: pa.Table) -> str:
    """`'tipo' (e.g. 'entrante', 'saliente')` for every column: what an operator needs to write the override."""
    parts = []
    for name in data.column_names:
        samples = [
            str(v)[:30]
            for v in _nonempty_sample(canonical.as_array(data.column(name))).slice(0, 2).to_pylist()
        ]
        parts.append(f"{name!r} (e.g. {', '.join(repr(s) for s in samples) or 'empty'})")
    return "; ".join(parts)


def assign_roles(data: pa.Table, override: Mapping[str, str] | None = None) -> dict[str, str]:
    """role -> column of `data`. Raises ColumnsError naming the columns, samples and the override."""
    columns = data.column_names
    found: dict[str, str] = {}
    by_canon = {canon(c): c for c in columns}
    for role, wanted in (override or {}).items():
        column = wanted if wanted in columns else by_canon.get(canon(wanted))
        if column is None:
            raise ColumnsError(
                f"MULTICHAT_COLUMNS names column {wanted!r} for {role}, but the file has no such column; "
                f"columns found: {describe_columns(data)}"
            )
        found[role] = column

    def free() -> list[str]:
        return [c for c in columns if c not in found.values()]

    samples = {c: _nonempty_sample(canonical.as_array(data.column(c))) for c in columns}
    named = {c: _name_roles(c) for c in columns}

    def pick(role: str, fitting: list[str], related: tuple[str, ...]) -> None:
        """Among columns whose values fit `role`, the one whose header names it; else the only unnamed one."""
        if role in found or not fitting:
            return
        scored: dict[int, list[str]] = {}
        for c in fitting:
            if named[c] & set(related):
                score = 2
            elif not named[c] or named[c] <= {"sender", "message_type", *TIME_ROLES}:
                score = 1  # an unknown or ambiguous header: the values speak
            else:
                continue  # the header names another role (an agent column full of "Bot")
            scored.setdefault(score, []).append(c)
        if not scored:
            return
        best = scored[max(scored)]
        if len(best) > 1:
            raise ColumnsError(
                f"columns {best} all look like the {role} column; set MULTICHAT_COLUMNS={role}=<column> to say which. "
                f"Columns found: {describe_columns(data)}"
            )
        found[role] = best[0]

    # 2. roles the values reveal
    if not ({"datetime"} <= found.keys() or {"date", "time"} <= found.keys()):
        kinds = {c: _time_kind(samples[c]) for c in free()}
        for kind in TIME_ROLES:
            if kind == "datetime" and ("date" in found or "time" in found):
                continue
            if kind != "datetime" and "datetime" in found:
                continue
            pick(kind, [c for c in free() if kinds.get(c) == kind], TIME_ROLES)
    pick("sender", [c for c in free() if _all_in(samples[c], SENDER_WORDS)], ("sender",))
    pick("message_type", [c for c in free() if _all_in(samples[c], list(TYPE_WORDS))], ("message_type",))
    # 3. the rest by header name; an ambiguous header (`tipo`) counts once its other roles are settled
    for role in ROLES:
        if role in found or role in TIME_ROLES:
            continue
        candidates = [
            c for c in free() if role in named[c] and not (named[c] - {role} - set(TIME_ROLES)) - found.keys()
        ]
        if len(candidates) > 1:
            exact = [c for c in candidates if canon(c) == NAMES[role][0]]
            if len(exact) != 1:
                raise ColumnsError(
                    f"columns {candidates} could each be the {role} column; set "
                    f"MULTICHAT_COLUMNS={role}=<column>. Columns found: {describe_columns(data)}"
                )
            candidates = exact
        if candidates:
            found[role] = candidates[0]
    if "datetime" not in found and not ("date" in found and "time" in found):
        # A column named for the time whose values do not read: let the strict reader say why.
        for kind in ("datetime", "date", "time"):
            named_time = [c for c in free() if kind in named[c]]
            if kind not in found and len(named_time) == 1 and not (kind == "datetime" and "date" in found):
                found[kind] = named_time[0]
        if "datetime" in found:
            found.pop("date", None), found.pop("time", None)
    missing = [r for r in REQUIRED if r not in found]
    if "datetime" not in found and not ("date" in found and "time" in found):
        missing.append("datetime (or date + time)")
    if missing:
        hint = ",".join(f"{r.split(' ')[0]}=<column>" for r in missing)
        raise ColumnsError(
            f"missing column role(s) {missing}; columns found: {describe_columns(data)}. "
            f"If one of them holds it, set MULTICHAT_COLUMNS={hint}"
        )
    return found
