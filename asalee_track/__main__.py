from asalee_track.cli import app

app(prog_name="asalee-track")
