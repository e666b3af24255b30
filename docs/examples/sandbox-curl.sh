# SPEC section 2 with curl, against `CONCIERGE_SANDBOX_API_KEY=sk_sandbox_demo pnpm sandbox`
# (seeded: payer 2; payee in Chile 5 with instruction 3, whose account settles by itself).
set -euo pipefail
KEY=${KEY:-sk_sandbox_demo}
BASE=${BASE:-http://127.0.0.1:4100}
API=$BASE/api
H=(-H "Authorization: $KEY" -H "Version: 2.0" -H "Content-Type: application/json")
# shows STATE: prints the answer read from stdin, and fails unless its state is STATE
shows() { local a; a=$(cat); echo "$a"; grep -q "\"state\":\"$1\"" <<<"$a" || { echo "expected $1" >&2; return 1; }; }
# advance SECONDS: the service makes its moves later, like the provider: move its clock
# forward instead of waiting
advance() { curl -sf "${H[@]}" -X POST "$BASE/sandbox/clock/advance" -d "{\"seconds\":$1}"; echo; }
# 1. draft a request from ar_ars for payer 2
curl -sf "${H[@]}" -X POST "$API/concierge_requests" -d '{"data":{"type":"concierge_requests",
  "attributes":{"port_code":"ar_ars"},"relationships":{"user":{"data":{"id":2,"type":"users"}}}}}' | shows draft
# 2. add an output (integer ids, as the provider's guide sends them): accepting, checked 2 s later
curl -sf "${H[@]}" -X POST "$API/concierge_request_outputs" -d '{"data":{"type":"concierge_request_outputs",
  "attributes":{"port_code":"cl_clp","amount":1000},"relationships":{
  "request":{"data":{"id":1,"type":"concierge_requests"}},
  "withdrawal_instruction":{"data":{"id":3,"type":"withdrawal_instructions"}},
  "user":{"data":{"id":5,"type":"users"}}}}}' | shows accepting
advance 2
curl -sf "${H[@]}" "$API/concierge_request_outputs/1" | shows accepted
# 3. an estimate (no key needed)
curl -sf -H "Content-Type: application/json" -X POST "$API/concierge_estimates" -d '{"data":{
  "type":"concierge_estimates","attributes":{"port_code":"ar_ars","outputs":[{"port_code":"cl_clp","amount":1000}]}}}'
echo
# 4-5. ask for the quote: quote_requested with total_to_spend null; the quote follows 1 s later
curl -sf "${H[@]}" -X POST "$API/concierge_requests/1/request_quote" | shows quote_requested
advance 1
curl -sf "${H[@]}" "$API/concierge_requests/1" | shows quoted
# 6-7. accept: quote_accepted; the payer's funds are there, so work starts 1 s later
curl -sf "${H[@]}" -X POST "$API/concierge_requests/1/accept_quote" | shows quote_accepted
advance 1
curl -sf "${H[@]}" "$API/concierge_requests/1" | shows working
# 8-9. the payment is issued 10 minutes later and settles an hour after that: run the
# clock until nothing is due, and the request is finished
advance 600
curl -sf "${H[@]}" "$API/concierge_request_outputs/1" | shows settling
curl -sf "${H[@]}" -X POST "$BASE/sandbox/clock/run_until_idle"
echo
curl -sf "${H[@]}" "$API/concierge_requests/1?include=outputs" | shows finished
curl -sf -H "Authorization: $KEY" "$BASE/sandbox/events"
