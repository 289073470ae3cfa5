#!/bin/sh
# Generates the signed APKs the recorded-device harness serves from fake phones
# (fixtures/devices/apk/) and records each one's signer certificate SHA-256 as
# apksigner prints it (fixtures/devices/apk/certs.json), so tests compare against
# an independent tool. Needs Debian packages: apksigner, openjdk (keytool), zip.
# The APKs carry no real code; only their signing data matters to the scanner.
set -eu
out=$(cd "$(dirname "$0")/.." && pwd)/fixtures/devices/apk
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"

key() { # alias dname
  keytool -genkeypair -keystore "$1.jks" -storepass "pass-$1" -keypass "pass-$1" -alias "$1" \
    -keyalg RSA -keysize 2048 -validity 20000 -dname "$2" >/dev/null 2>&1
}
base() { # name entries
  rm -rf "stage-$1" && mkdir "stage-$1" && cd "stage-$1"
  printf 'placeholder manifest for %s\n' "$1" > AndroidManifest.xml
  printf 'dex\n' > classes.dex
  i=0
  while [ "$i" -lt "$2" ]; do
    mkdir -p res/raw && printf '%s' "$i" > "res/raw/harness_padding_entry_number_$i.txt"
    i=$((i + 1))
  done
  rm -f "../$1.apk" && zip -q -X -r "../$1.apk" . && cd ..
}
sign() { # name key minSdk extra-flags...
  n=$1 k=$2 m=$3
  shift 3
  apksigner sign --ks "$k.jks" --ks-pass "pass:pass-$k" --min-sdk-version "$m" "$@" "$n.apk"
  rm -f "$n.apk.idsig"
}

key tencent "CN=Harness Tencent, O=Harness Fake Tencent, C=CN"
key bytedance "CN=Harness ByteDance, O=Harness Fake ByteDance, C=SG"
key benign "CN=Harness Benign, O=Harness Benign Apps, C=CA"
key oldvendor "CN=Harness Old Vendor, O=Harness Old Vendor, C=DE"
key kasper-old "CN=Harness Kaspersky 2015, O=Harness Fake Kaspersky, C=RU"
key kasper-new "CN=Harness Kaspersky 2024, O=Harness Fake Kaspersky, C=RU"

base wechat 0 && sign wechat tencent 24 --v1-signing-enabled false
base tiktok 0 && sign tiktok bytedance 21
base benign 0 && sign benign benign 24 --v1-signing-enabled false --v3-signing-enabled false
base legacy-v1 0 && sign legacy-v1 oldvendor 16 --v2-signing-enabled false --v3-signing-enabled false
base big-cd 600 && sign big-cd benign 24 --v1-signing-enabled false
apksigner rotate --out lineage --old-signer --ks kasper-old.jks --ks-pass pass:pass-kasper-old \
  --new-signer --ks kasper-new.jks --ks-pass pass:pass-kasper-new
base rotated 0
apksigner sign --ks kasper-old.jks --ks-pass pass:pass-kasper-old --next-signer --ks kasper-new.jks \
  --ks-pass pass:pass-kasper-new --lineage lineage --min-sdk-version 28 --v1-signing-enabled false rotated.apk
rm -f rotated.apk.idsig

printf '{\n' > certs.json
first=1
for n in wechat tiktok benign legacy-v1 big-cd rotated; do
  cp "$n.apk" "$out/$n.apk"
  sha=$(apksigner verify --min-sdk-version 28 --print-certs "$n.apk" | sed -n 's/^Signer #1 certificate SHA-256 digest: //p')
  [ "$first" = 1 ] || printf ',\n' >> certs.json
  first=0
  printf '  "%s.apk": "%s"' "$n" "$sha" >> certs.json
done
old=$(keytool -exportcert -keystore kasper-old.jks -storepass pass-kasper-old -alias kasper-old | sha256sum | cut -d' ' -f1)
printf ',\n  "rotated.apk#lineage": "%s"\n}\n' "$old" >> certs.json
cp certs.json "$out/certs.json"
ls -l "$out"
