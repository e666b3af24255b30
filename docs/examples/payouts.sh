# concierge payouts against `CONCIERGE_SANDBOX_API_KEY=sk_sandbox_demo pnpm sandbox` (seeded: payer 2;
# payees 5 in Chile, 6 in Mexico and 7 in Uruguay with instructions 3, 4 and 5, whose accounts settle
# by themselves). In an app: `npx concierge` for `concierge`.
set -euo pipefail
export CONCIERGE_API_URL=${BASE:-http://127.0.0.1:4100}
export CONCIERGE_API_KEY=${KEY:-sk_sandbox_demo}
export CONCIERGE_DB=$(mktemp -d)/journal   # where runs are kept; default .concierge
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
concierge() { node "$ROOT/packages/cli/dist/main.js" "$@"; }
# advance SECONDS: move the sandbox clock (the sandbox server of the tests moves only when told)
advance() { curl -sf -H "Authorization: $CONCIERGE_API_KEY" -H "Content-Type: application/json" -X POST \
  "$CONCIERGE_API_URL/sandbox/clock/advance" -d "{\"seconds\":$1}" >/dev/null; }
cd "$(mktemp -d)"

# A file with a bad row is refused whole, before anything is sent: exit 1, every bad line named.
cat >bad.csv <<'CSV'
reference,port_code,amount,budget,payee_id,withdrawal_instruction_id
inv-1,cl_clp,150000,,5,3
inv-2,cl_clp,150000.50,,5,3
inv-3,mx_mxn,3500,20000,6,4
CSV
if concierge payouts run bad.csv --origin ar_ars --payer 2 --yes; then exit 1; else echo "exit $?"; fi

# The payroll: amounts in the destination currency, or budgets in the origin's (ARS).
cat >payroll.csv <<'CSV'
reference,port_code,amount,budget,payee_id,withdrawal_instruction_id
inv-1,cl_clp,150000,,5,3
inv-2,mx_mxn,3500.25,,6,4
inv-3,uy_uyu,,120000,7,5
inv-4,cl_clp,150000,,5,3
CSV
# Work it until every chunk's request is accepted (--detach), while the sandbox clock moves.
(while sleep 0.2; do advance 0.2 || true; done) &
TICKER=$!
concierge payouts run payroll.csv --origin ar_ars --payer 2 --run-id payroll-2026-01 --chunk-size 2 --yes --detach
kill $TICKER
concierge payouts status payroll-2026-01 --json

# Payments settle an hour after they are issued: move the clock, then follow the run to its end.
advance 7200
concierge payouts resume payroll-2026-01 --poll-interval 0.2
concierge payouts report payroll-2026-01

# The same run id with another file is refused, and changes nothing (with the same file, it
# goes on with the run).
sed 's/3500.25/3600/' payroll.csv >other.csv
if concierge payouts run other.csv --origin ar_ars --payer 2 --run-id payroll-2026-01; then exit 1; else echo "exit $?"; fi
