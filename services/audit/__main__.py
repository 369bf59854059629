from services.audit.cli import app

app()
