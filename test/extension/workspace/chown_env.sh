# Run by the launch configuration "chown (Python stand-in)", whose interpreter the editor gives: its target comes from
# the folder's .env, which Python configurations read.
exec chown nobody "$TARGET"
