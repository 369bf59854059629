from services.adapters.cli import app

app()
