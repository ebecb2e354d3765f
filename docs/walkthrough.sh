#!/usr/bin/env bash
# Buy something with curl — on the demo data of `make run` (README "Buy something with curl").
# Every command runs as written against http://127.0.0.1:8000; BASE=... points it elsewhere.
# tests/test_walkthrough.py runs this very file against a live test server, so it cannot rot.
set -euo pipefail
BASE=${BASE:-http://127.0.0.1:8000}
# pick KEY.PATH: print one value of the JSON on stdin (python3 instead of jq, which few machines have)
pick() { python3 -c 'import json, sys
d = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    d = d[int(k)] if k.isdigit() else d[k]
print(d)' "$1"; }

# 1. Log in as the demo customer (username or email + password → access, refresh, user).
CUSTOMER=$(curl -sf -X POST "$BASE/api/users/login/" -H 'Content-Type: application/json' \
  -d '{"username": "chidi", "password": "Payjaro-Demo-2026"}' | pick access)

# 2. The storefront's products as JSON (?format=json, or Accept: application/json): id, name, price, stock.
curl -sf "$BASE/ada-styles/?format=json" | python3 -c 'import json, sys
for p in json.load(sys.stdin)["all_products"]["results"]:
    print(p["id"], p["name"], p["price"], p["currency"], "in stock" if p["in_stock"] else "sold out")'
KAFTAN=$(curl -sf "$BASE/ada-styles/product/adire-tie-dye-kaftan/?format=json" | pick product.id)
HENNA=$(curl -sf "$BASE/ada-styles/product/kano-henna-powder-200g/?format=json" | pick product.id)

# 3. One checkout for a cart from two suppliers: one order (parcel, shipping fee) per supplier, one payment.
CHECKOUT=$(curl -sf -X POST "$BASE/api/orders/checkouts/" -H "Authorization: Bearer $CUSTOMER" \
  -H 'Content-Type: application/json' -d "{
    \"entrepreneur_custom_url\": \"ada-styles\",
    \"items\": [{\"product_id\": $KAFTAN, \"quantity\": 1}, {\"product_id\": $HENNA, \"quantity\": 2}],
    \"shipping_address\": {\"full_name\": \"Chidi Eze\", \"phone\": \"08030000103\",
                           \"address\": \"12 Admiralty Way, Lekki Phase 1\", \"city\": \"Lagos\", \"state\": \"Lagos\"}}")
echo "$CHECKOUT" | python3 -c 'import json, sys
c = json.load(sys.stdin)
print(c["checkout_id"], c["status"], "total", c["total_amount"], "in", len(c["orders"]), "parcels")'
CHECKOUT_ID=$(echo "$CHECKOUT" | pick checkout_id)
CHECKOUT_PK=$(echo "$CHECKOUT" | pick id)

# 4. Initialize one sandbox payment for the whole checkout (→ payment_url, reference, transaction_id).
REFERENCE=$(curl -sf -X POST "$BASE/api/payments/initialize/" -H "Authorization: Bearer $CUSTOMER" \
  -H 'Content-Type: application/json' -d "{\"checkout_id\": \"$CHECKOUT_ID\", \"provider\": \"sandbox\"}" | pick reference)

# 5. Pay: what the sandbox checkout page's "Pay" button posts (the same confirmation path as a webhook).
curl -sf -o /dev/null -X POST "$BASE/api/payments/sandbox/checkout/$REFERENCE/" -d outcome=pay

# 6. The checkout and each of its orders are now paid.
curl -sf "$BASE/api/orders/checkouts/$CHECKOUT_PK/" -H "Authorization: Bearer $CUSTOMER" | python3 -c 'import json, sys
c = json.load(sys.stdin)
print(c["checkout_id"], c["status"], [(o["order_id"], o["status"], o["payment_status"]) for o in c["orders"]])'

# 7. Log in as the supplier (Lagos Trade Hub) and ship its parcel: paid → processing → shipped (tracking number).
SUPPLIER=$(curl -sf -X POST "$BASE/api/users/login/" -H 'Content-Type: application/json' \
  -d '{"username": "lagostrade", "password": "Payjaro-Demo-2026"}' | pick access)
ORDER=$(curl -sf "$BASE/api/orders/orders/supplier_orders/" -H "Authorization: Bearer $SUPPLIER" | pick results.0.id)
curl -sf -X POST "$BASE/api/orders/orders/$ORDER/update_status/" -H "Authorization: Bearer $SUPPLIER" \
  -H 'Content-Type: application/json' -d '{"status": "processing"}' | pick message
curl -sf -X POST "$BASE/api/orders/orders/$ORDER/update_status/" -H "Authorization: Bearer $SUPPLIER" \
  -H 'Content-Type: application/json' -d '{"status": "shipped", "tracking_number": "GIG-20261202-001"}' | pick message

# 8. Log in as the entrepreneur and see the earnings (pending until the return window after delivery ends).
ENTREPRENEUR=$(curl -sf -X POST "$BASE/api/users/login/" -H 'Content-Type: application/json' \
  -d '{"username": "ada", "password": "Payjaro-Demo-2026"}' | pick access)
curl -sf "$BASE/api/payments/earnings/summary/" -H "Authorization: Bearer $ENTREPRENEUR"
echo
