from services.keys.cli import app

app()
