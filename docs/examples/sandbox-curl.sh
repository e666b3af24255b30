# SPEC section 2 with curl, against `CONCIERGE_SANDBOX_API_KEY=sk_sandbox_demo pnpm sandbox`
# (seeded: payer 2; payee in Chile 5 with instruction 3, whose account settles by itself).
set -euo pipefail
KEY=${KEY:-sk_sandbox_demo}
BASE=${BASE:-http://127.0.0.1:4100}
API=$BASE/api
H=(-H "Authorization: $KEY" -H "Version: 2.0" -H "Content-Type: application/json")
# 1. draft a request from ar_ars for payer 2
curl -sf "${H[@]}" -X POST "$API/concierge_requests" -d '{"data":{"type":"concierge_requests",
  "attributes":{"port_code":"ar_ars"},"relationships":{"user":{"data":{"id":2,"type":"users"}}}}}'
# 2. add an output (integer ids, as the provider's guide sends them)
curl -sf "${H[@]}" -X POST "$API/concierge_request_outputs" -d '{"data":{"type":"concierge_request_outputs",
  "attributes":{"port_code":"cl_clp","amount":1000},"relationships":{
  "request":{"data":{"id":1,"type":"concierge_requests"}},
  "withdrawal_instruction":{"data":{"id":3,"type":"withdrawal_instructions"}},
  "user":{"data":{"id":5,"type":"users"}}}}}'
# 3. an estimate (no key needed)
curl -sf -H "Content-Type: application/json" -X POST "$API/concierge_estimates" -d '{"data":{
  "type":"concierge_estimates","attributes":{"port_code":"ar_ars","outputs":[{"port_code":"cl_clp","amount":1000}]}}}'
# 4-6. quote, accept (funds are there: it works, and the magic account settles)
curl -sf "${H[@]}" -X POST "$API/concierge_requests/1/request_quote"
curl -sf "${H[@]}" -X POST "$API/concierge_requests/1/accept_quote"
# 8-9. follow it: the request is finished
curl -sf "${H[@]}" "$API/concierge_requests/1?include=outputs" | grep -q '"state":"finished"'
curl -sf -H "Authorization: $KEY" "$BASE/sandbox/events"
