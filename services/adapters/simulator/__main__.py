from services.adapters.simulator.cli import app

app(prog_name="python -m services.adapters.simulator")
