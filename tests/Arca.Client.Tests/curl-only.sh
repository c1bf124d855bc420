#!/usr/bin/env bash
# The curl-only download walkthrough of README.md ("Downloading with curl only"); CurlOnlyTests runs it against a
# real server. Inputs: URL, ADMIN (a token that may create tokens), MODEL, ALIAS, FILE (a path inside the model).
# Everything after the marker line is the README snippet, verbatim (the test checks that they stay the same).
set -euo pipefail
: "${URL:?}" "${ADMIN:?}" "${MODEL:?}" "${ALIAS:?}" "${FILE:?}"
# ---- README snippet ----
# A read-only token for this machine
TOKEN=$(curl -sf -X POST $URL/v1/tokens -H "Authorization: Bearer $ADMIN" \
  -d '{"name":"node-17","roles":["read"],"models":"'$MODEL'"}' | jq -r .token)
H="Authorization: Bearer $TOKEN"

# Resolve the alias to a version, then read that version's artifact digest
VERSION=$(curl -sf $URL/v1/models/$MODEL/aliases/$ALIAS -H "$H" | jq -r .version)
DIGEST=$(curl -sf $URL/v1/models/$MODEL/versions/$VERSION -H "$H" | jq -r .artifact_digest)

# Presigned data-plane URLs for every file of the artifact (signed: no token needed; they expire after ttl seconds)
curl -sf "$URL/v1/artifacts/$DIGEST/download?ttl=3600" -H "$H" > download.json
LAYER=$(jq -c --arg p "$FILE" '.layers[] | select(.path == $p)' download.json)
LAYER_URL=$(jq -r .url <<<"$LAYER"); LAYER_DIGEST=$(jq -r .digest <<<"$LAYER"); SIZE=$(jq -r .size <<<"$LAYER")

# Fetch the file in three ranges (as parallel streams or separate machines would), then join them
THIRD=$((SIZE / 3))
curl -sf -r 0-$((THIRD - 1))              "$LAYER_URL" -o part.0
curl -sf -r $THIRD-$((2 * THIRD - 1))     "$LAYER_URL" -o part.1
curl -sf -r $((2 * THIRD))-               "$LAYER_URL" -o part.2
cat part.0 part.1 part.2 > "$(basename "$FILE")" && rm part.0 part.1 part.2

# Verify: a file's sha256 is its layer digest
echo "${LAYER_DIGEST#sha256:}  $(basename "$FILE")" | sha256sum -c -
