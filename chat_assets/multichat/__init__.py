"""Contacto Multichat: daily zipped CSV reports (`conversaciones`, `captura_datos`) per line number."""
