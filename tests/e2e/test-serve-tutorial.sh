# The seed tutorial's Steps 1–4 against `stargraph serve` (see tutorial.sh).
exec bash "$(dirname "$0")/tutorial.sh"
