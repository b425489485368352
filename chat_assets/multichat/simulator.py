"""Fake Contacto Multichat report API (shared/providers/multichat.txt and NOTES.md).

`GET|POST <prefix>/bot/chat_wa/ws/report/` with login, token, tipo_reporte, numero_oficial and
fecha_reporte answers `{"code":1,"status":"<url> <url>"}` with `\\/`-escaped links to zipped CSVs
served under `.../report/files/`, which expire after `link_ttl_s`; or codes -1 (date outside
2025-01-01..yesterday), -2 (report type), -3 (login/token), -4 (no access to that number).

Nothing public documents the CSV inside the zip, so each (number, day) picks one of several
plausible dialects: Spanish or English headers, `,` or `;`, UTF-8 / UTF-8 with BOM / cp1252,
columns in any order, an extra unknown column, quoted fields with delimiters and line breaks.
"""

from __future__ import annotations

import csv
import io
import random
import threading
import time
import zipfile
from datetime import date
from zoneinfo import ZoneInfo

from chat_assets.simulator.rendering import conversations, short_hash
from chat_assets.simulator.server import Counters, SimRequest, SimResponse, SimulatorConfig

REPORT_PATH = "/bot/chat_wa/ws/report"
PROJECT_ID = 22

DIALECTS = {
    "es": {
        "columns": [
            "ID Conversación",
            "Fecha",
            "Hora",
            "Teléfono",
            "Nombre Cliente",
            "Dirección",
            "Agente",
            "Tipo",
            "Mensaje",
            "Etiqueta",
        ],
        "in": "Entrante",
        "out": "Saliente",
        "bot_agent": "Bot",
        "types": {
            "text": "texto",
            "image": "imagen",
            "file": "documento",
            "location": "ubicacion",
            "audio": "audio",
        },
    },
    "snake": {
        "columns": [
            "id_conversacion",
            "fecha_hora",
            "numero_cliente",
            "nombre",
            "direccion",
            "asesor",
            "tipo_mensaje",
            "mensaje",
        ],
        "in": "IN",
        "out": "OUT",
        "bot_agent": "",
        "types": {
            "text": "TEXTO",
            "image": "IMAGEN",
            "file": "DOCUMENTO",
            "location": "UBICACION",
            "audio": "AUDIO",
        },
    },
    "en": {
        "columns": [
            "Conversation ID",
            "Date",
            "Time",
            "Customer Number",
            "Customer Name",
            "Direction",
            "Agent",
            "Message Type",
            "Message",
        ],
        "in": "inbound",
        "out": "outbound",
        "bot_agent": "BOT",
        "types": {
            "text": "text",
            "image": "image",
            "file": "document",
            "location": "location",
            "audio": "audio",
        },
    },
}
CAPTURE_BOTS = {0: ["bot5", "bot682"], 1: ["bot17"]}
CAPTURE_FIELDS = {
    "bot5": ["Nombre", "Correo", "Ciudad", "Motivo"],
    "bot682": ["Documento", "Nombre", "Producto", "Acepta términos"],
    "bot17": ["Nombre", "Fecha de nacimiento", "Plan de interés"],
}


# The independent rendering that broke the first version (issue 10): `tipo` holds the sender.
INDEPENDENT = [
    "fecha",
    "hora",
    "id_conversacion",
    "numero_cliente",
    "nombre_cliente",
    "tipo",
    "agente",
    "tipo_mensaje",
    "mensaje",
]
# An office export: Excel's "Unicode text" (UTF-16 with BOM, tabs), one 12-hour `Fecha y hora` column,
# the attachment's link in its own column.
SPREADSHEET = [
    "Fecha y hora",
    "Conversación",
    "Cliente",
    "Teléfono",
    "Remitente",
    "Asesor",
    "Tipo",
    "Mensaje",
    "URL Adjunto",
    "Etiqueta",
]
SPREADSHEET_TYPES = {
    "text": "Texto",
    "image": "Foto",
    "file": "Archivo",
    "location": "Ubicación",
    "audio": "Nota de voz",
}


def dialect_for(config: SimulatorConfig, number: str, day: date) -> dict[str, object]:
    rng = random.Random(short_hash(config.seed, "multichat-dialect", number, day))
    if config.variant == "independent":
        return {"name": "independent", "columns": INDEPENDENT, "delimiter": ",", "encoding": "utf-8"}
    if config.variant == "spreadsheet":
        return {"name": "spreadsheet", "columns": SPREADSHEET, "delimiter": "\t", "encoding": "utf-16"}
    name = rng.choice(list(DIALECTS))
    columns = list(DIALECTS[name]["columns"])  # type: ignore[arg-type]
    rng.shuffle(columns)
    return {
        "name": name,
        "columns": columns,
        "delimiter": rng.choice([",", ";"]),
        "encoding": rng.choice(["utf-8", "utf-8-sig", "cp1252"]),
    }


def _encode(text: str, encoding: str) -> bytes:
    """A cp1252 export exists only where the text fits cp1252 (emoji do not): otherwise UTF-8 with BOM."""
    try:
        return text.encode(encoding)
    except UnicodeEncodeError:
        return text.encode("utf-8-sig")


def _row(choice: dict[str, object], number: str, conv, i: int, m, local) -> list[str]:  # type: ignore[no-untyped-def]
    conv_id = f"{number[-4:]}-{conv.id}"
    if choice["name"] == "independent":
        sender = {"customer": "entrante", "bot": "bot"}.get(m.role, "saliente")
        kind = DIALECTS["es"]["types"].get(m.content_type, "texto")  # type: ignore[union-attr]
        text = f"{m.media_url} {m.text}" if m.media_url else m.text
        return [
            local.strftime("%d/%m/%Y"),
            local.strftime("%H:%M:%S"),
            conv_id,
            conv.customer_phone,
            conv.customer_name,
            sender,
            conv.agent_name if m.role == "agent" else "",
            kind,
            text,
        ]
    if choice["name"] == "spreadsheet":
        stamp = local.strftime("%d/%m/%Y %I:%M:%S ") + ("a. m." if local.hour < 12 else "p. m.")
        sender = {"customer": "Cliente", "bot": "Bot"}.get(m.role, "Asesor")
        kind = SPREADSHEET_TYPES.get(m.content_type, "Texto")
        return [
            stamp,
            conv_id,
            conv.customer_name,
            conv.customer_phone,
            sender,
            conv.agent_name if m.role == "agent" else "",
            kind,
            m.text,
            m.media_url or "",
            "soporte" if conv.number % 3 else "ventas",
        ]
    d = DIALECTS[str(choice["name"])]
    text = f"{m.media_url} {m.text}" if m.media_url else m.text
    agent = (conv.agent_name or "") if m.role == "agent" else (d["bot_agent"] if m.role == "bot" else "")
    direction = d["in"] if m.role == "customer" else d["out"]
    kind = d["types"].get(m.content_type, "texto")  # type: ignore[union-attr]
    if choice["name"] == "snake":
        return [
            conv_id,
            local.strftime("%d/%m/%Y %H:%M:%S"),
            conv.customer_phone,
            conv.customer_name,
            direction,
            agent,
            kind,
            text,
        ]
    row = [
        conv_id,
        local.strftime("%Y-%m-%d"),
        local.strftime("%H:%M:%S"),
        conv.customer_phone,
        conv.customer_name,
        direction,
        agent,
        kind,
        text,
    ]
    if choice["name"] == "es":
        row.append("soporte" if conv.number % 3 else "ventas")
    return row


def conversaciones_csv(config: SimulatorConfig, number: str, day: date) -> bytes:
    choice = dialect_for(config, number, day)
    tz = ZoneInfo(config.timezone)
    out = io.StringIO()
    # Columns are listed in the dialect's order; the file writes them in the (possibly shuffled) header order.
    base = (
        INDEPENDENT
        if choice["name"] == "independent"
        else SPREADSHEET
        if choice["name"] == "spreadsheet"
        else DIALECTS[str(choice["name"])]["columns"]
    )
    writer = csv.DictWriter(
        out,
        fieldnames=choice["columns"],
        delimiter=str(choice["delimiter"]),
        quoting=csv.QUOTE_ALL if choice["name"] == "spreadsheet" else csv.QUOTE_MINIMAL,
        lineterminator="\r\n",
    )
    writer.writeheader()
    for conv in conversations(config, "multichat", number, day):
        for i, m in enumerate(conv.messages):
            row = _row(choice, number, conv, i, m, m.at.astimezone(tz))
            writer.writerow(dict(zip(base, row, strict=True)))  # type: ignore[arg-type]
    return _encode(out.getvalue(), str(choice["encoding"]))


def captura_csv(config: SimulatorConfig, number: str, day: date, bot: str) -> bytes:
    choice = dialect_for(config, number, day)
    tz = ZoneInfo(config.timezone)
    fields = ["Fecha", "Teléfono", *CAPTURE_FIELDS[bot]]
    out = io.StringIO()
    writer = csv.writer(out, delimiter=str(choice["delimiter"]), lineterminator="\r\n")
    writer.writerow(fields)
    rng = random.Random(short_hash(config.seed, "captures", number, day, bot))
    for conv in conversations(config, "multichat", number, day):
        if rng.random() > 0.3:
            continue
        values = {
            "Fecha": conv.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S"),
            "Teléfono": conv.customer_phone,
            "Nombre": conv.customer_name,
            "Correo": conv.customer_name.split()[0].lower().replace("á", "a").replace("é", "e")
            + "@correo.com",
            "Ciudad": rng.choice(["Bogotá", "Medellín", "Cali", "Pereira"]),
            "Motivo": rng.choice(["Compra", "Reclamo; urgente", "Información, general"]),
            "Documento": conv.customer_id,
            "Producto": rng.choice(["Plan Pospago 20GB", "Seguro Hogar", "Tarjeta Oro"]),
            "Acepta términos": rng.choice(["Sí", "No"]),
            "Fecha de nacimiento": f"{rng.randint(1950, 2005)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "Plan de interés": rng.choice(["Básico", "Plus", ""]),
        }
        writer.writerow([values[f] for f in fields])
    return _encode(out.getvalue(), str(choice["encoding"]))


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo(name, date_time=(2025, 1, 1, 0, 0, 0))
        info.compress_type = zipfile.ZIP_DEFLATED
        archive.writestr(info, data)
    return buffer.getvalue()


class MultichatApi:
    prefix = "/multichat"

    def __init__(self, config: SimulatorConfig, counters: Counters):
        self.config = config
        self.counters = counters
        self.links: dict[str, tuple[float, str, str, date, str | None]] = {}
        self.lock = threading.Lock()
        self.issued = 0

    def handle(self, request: SimRequest) -> SimResponse:
        if request.path.startswith(REPORT_PATH + "/files/"):
            return self._file(request.path.rsplit("/", 1)[1])
        if request.path.rstrip("/") == REPORT_PATH:
            return self._report(request)
        return SimResponse(404, b"<html><body><h1>404 Not Found</h1></body></html>", "text/html")

    def _report(self, request: SimRequest) -> SimResponse:
        q = request.query
        creds = self.config.credentials
        if q.get("login") != creds["MULTICHAT_LOGIN"] or q.get("token") != creds["MULTICHAT_TOKEN"]:
            return SimResponse.json(
                200, {"code": -3, "status": "Error de autenticación: usuario y/o token inválidos"}
            )
        kind = (q.get("tipo_reporte") or "").lower()
        if kind not in ("conversaciones", "captura_datos"):
            return SimResponse.json(
                200, {"code": -2, "status": "Tipo de reporte inválido: conversaciones o captura_datos"}
            )
        number = q.get("numero_oficial") or ""
        numbers = self.config.accounts["multichat"]
        if number not in numbers:
            return SimResponse.json(
                200, {"code": -4, "status": "Usuario sin multiagente/chatbot para este número"}
            )
        try:
            day = date.fromisoformat(q.get("fecha_reporte") or "")
        except ValueError:
            day = None
        if day is None or day < date(2025, 1, 1) or day >= self.config.today_local():
            return SimResponse.json(
                200, {"code": -1, "status": "La fecha debe estar entre 2025-01-01 y ayer"}
            )
        if kind == "conversaciones":
            names = [(f"conversaciones-{PROJECT_ID}_{day.isoformat()}.csv.zip", None)]
        else:
            bots = CAPTURE_BOTS[numbers.index(number) % len(CAPTURE_BOTS)]
            names = [(f"captura_datos-{PROJECT_ID}_{day.isoformat()}-{bot}.csv.zip", bot) for bot in bots]
        urls = []
        with self.lock:
            for name, bot in names:
                self.issued += 1
                link = f"{short_hash(self.config.seed, name, number, self.issued)}_{name}"
                self.links[link] = (time.monotonic(), kind, number, day, bot)
                urls.append(f"{request.base_url}{REPORT_PATH}/files/{link}")
        return SimResponse.json(200, {"code": 1, "status": " ".join(urls)}, escape_slashes=True)

    def _file(self, link: str) -> SimResponse:
        with self.lock:
            entry = self.links.get(link)
        if entry is None:
            return SimResponse(404, b"<html><body><h1>Archivo no encontrado</h1></body></html>", "text/html")
        issued, kind, number, day, bot = entry
        if time.monotonic() - issued > self.config.link_ttl_s:
            self.counters.add("multichat_expired_downloads")
            return SimResponse(403, b"<html><body><h1>Enlace expirado</h1></body></html>", "text/html")
        inner = link.split("_", 1)[1].removesuffix(".zip")
        data = (
            conversaciones_csv(self.config, number, day)
            if kind == "conversaciones"
            else captura_csv(self.config, number, day, str(bot))
        )
        return SimResponse(200, zipped(inner, data), "application/zip")


FAKE_API = MultichatApi
