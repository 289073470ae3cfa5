#!/bin/sh
# Builds the small APKs in fixtures/apk/ with Debian's aapt and apksigner, plus expected.json:
# what `aapt dump badging` and `apksigner verify --print-certs` say about each one, so tests can
# compare appwarden against independent tools even where those tools are not installed.
# Needs Debian packages: aapt, apksigner, openjdk (keytool). No network, no Android SDK:
# a tiny stand-in framework package (package id 0x01, the real attribute ids) replaces android.jar.
# Keys are generated afresh on every run, so certificate digests change when this is re-run.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out=$root/fixtures/apk
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
cd "$work"

# --- stand-in framework: just the android: attributes the manifests use, with their real ids
mkdir -p fw/res/values
cat > fw/AndroidManifest.xml <<'EOF'
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="android" />
EOF
cat > fw/res/values/attrs.xml <<'EOF'
<resources>
  <attr name="label" format="reference|string" />
  <attr name="icon" format="reference" />
  <attr name="name" format="string" />
  <attr name="minSdkVersion" format="integer|string" />
  <attr name="versionCode" format="integer" />
  <attr name="versionName" format="string" />
  <attr name="targetSdkVersion" format="integer|string" />
  <attr name="versionCodeMajor" format="integer" />
</resources>
EOF
cat > fw/res/values/public.xml <<'EOF'
<resources>
  <public type="attr" name="label" id="0x01010001" />
  <public type="attr" name="icon" id="0x01010002" />
  <public type="attr" name="name" id="0x01010003" />
  <public type="attr" name="minSdkVersion" id="0x0101020c" />
  <public type="attr" name="versionCode" id="0x0101021b" />
  <public type="attr" name="versionName" id="0x0101021c" />
  <public type="attr" name="targetSdkVersion" id="0x01010270" />
  <public type="attr" name="versionCodeMajor" id="0x01010576" />
</resources>
EOF
aapt package -f -x -M fw/AndroidManifest.xml -S fw/res -F framework.apk

# --- app sources: label from a string resource with a French variant
app() { # dir package versionCode versionName extra-manifest-attrs label-ref
  mkdir -p "$1/res/values" "$1/res/values-fr"
  cat > "$1/AndroidManifest.xml" <<EOF
<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="$2"
    android:versionCode="$3" android:versionName="$4" $5>
  <uses-sdk android:minSdkVersion="21" android:targetSdkVersion="29" />
  <application android:label="$6" />
</manifest>
EOF
  cat > "$1/res/values/strings.xml" <<'EOF'
<resources><string name="app_name">Warden Fixture</string><string name="version">9.8.7-res</string></resources>
EOF
  cat > "$1/res/values-fr/strings.xml" <<'EOF'
<resources><string name="app_name">Gardien d\'essai</string></resources>
EOF
}
build() { # dir apk
  aapt package -f -M "$1/AndroidManifest.xml" -S "$1/res" -I framework.apk -F "$2"
}
app main org.appwarden.fixture 42 1.2.3 '' '@string/app_name'
build main unsigned.apk
# Literal label, versionName from a resource, versionCodeMajor (versionCode = 3 * 2^32 + 7).
app major org.appwarden.fixture.major 7 '@string/version' 'android:versionCodeMajor="3"' 'Literal Label'
build major major.apk
app split org.appwarden.fixture 42 1.2.3 'split="config.fr"' '@string/app_name'
build split split.apk

key() { # alias keyalg dname
  keytool -genkeypair -keystore "$1.p12" -storetype PKCS12 -storepass "pass-$1" -keypass "pass-$1" \
    -alias "$1" -keyalg "$2" -validity 20000 -dname "$3" >/dev/null 2>&1
}
key rsa RSA "CN=Fixture RSA, OU=Appwarden Tests, O=Appwarden, C=FR"
key ec EC "CN=Fixture EC, O=Appwarden, C=DE"
key old RSA "CN=Fixture Old Key, O=Appwarden, C=GB"
key new EC "CN=Fixture New Key, O=Appwarden, C=GB"

ks() { printf -- '--ks %s.p12 --ks-pass pass:pass-%s' "$1" "$1"; }
sign() { # in out min-sdk args...
  cp "$1" "$2"
  in=$1 dst=$2 min=$3
  shift 3
  # shellcheck disable=SC2068
  apksigner sign --min-sdk-version "$min" $@ "$dst"
  rm -f "$dst.idsig"
}
sign unsigned.apk v1-rsa.apk 21 $(ks rsa) --v2-signing-enabled false --v3-signing-enabled false
sign unsigned.apk v2-ec.apk 24 $(ks ec) --v1-signing-enabled false --v3-signing-enabled false
sign unsigned.apk v123-rsa.apk 21 $(ks rsa) --v1-signing-enabled true --v2-signing-enabled true --v3-signing-enabled true
sign unsigned.apk two-signers.apk 21 $(ks rsa) --v3-signing-enabled false --next-signer $(ks ec)
sign major.apk major-v2.apk 24 $(ks ec) --v1-signing-enabled false --v3-signing-enabled false
sign split.apk split-v2.apk 24 $(ks rsa) --v1-signing-enabled false --v3-signing-enabled false
# Key rotation: v2 (and v1) keep the old key, v3 carries the new one with the proof-of-rotation lineage.
apksigner rotate --out lineage $(printf -- '--old-signer %s --new-signer %s' "$(ks old)" "$(ks new)")
sign unsigned.apk rotated.apk 24 $(ks old) --next-signer $(ks new) --lineage lineage --v1-signing-enabled false
# apksigner 31.0.2 (Debian) has no --rotation-min-sdk-version, so no v3.1 block can be produced here;
# test/apk builds a v3.1 block from rotated.apk's v3 block instead.

rm -f "$out"/*.apk
cp unsigned.apk v1-rsa.apk v2-ec.apk v123-rsa.apk two-signers.apk major-v2.apk split-v2.apk rotated.apk "$out/"

# --- expected.json from the reference tools
{
  printf '{\n'
  first=1
  for f in unsigned v1-rsa v2-ec v123-rsa two-signers major-v2 split-v2 rotated; do
    [ "$first" = 1 ] || printf ',\n'
    first=0
    badging=$(aapt dump badging "$f.apk" 2>/dev/null || true)
    pkg=$(printf '%s\n' "$badging" | sed -n "s/^package: name='\([^']*\)'.*/\1/p")
    vc=$(printf '%s\n' "$badging" | sed -n "s/^package: .*versionCode='\([^']*\)'.*/\1/p")
    vn=$(printf '%s\n' "$badging" | sed -n "s/^package: .*versionName='\([^']*\)'.*/\1/p")
    label=$(printf '%s\n' "$badging" | sed -n "s/^application-label:'\(.*\)'$/\1/p")
    fr=$(printf '%s\n' "$badging" | sed -n "s/^application-label-fr:'\(.*\)'$/\1/p")
    # As for the corpus: a v2/v3-only APK whose manifest minSdk is below 24 verifies only with an override.
    verify=$(apksigner verify -v --print-certs "$f.apk" 2>/dev/null ||
      apksigner verify -v --min-sdk-version 24 --print-certs "$f.apk" 2>/dev/null || true)
    certs=$(printf '%s\n' "$verify" | sed -n 's/^Signer #[0-9]* certificate SHA-256 digest: \(.*\)/"\1"/p' | paste -sd, -)
    schemes=$(printf '%s\n' "$verify" | sed -n 's/^Verified using \(v[0-9.]*\) scheme.*: true$/"\1"/p' | paste -sd, -)
    printf '  "%s.apk": {"package": "%s", "versionCode": "%s", "versionName": "%s", "label": "%s", "labelFr": "%s", "schemes": [%s], "certSha256": [%s]}' \
      "$f" "$pkg" "$vc" "$vn" "$label" "$fr" "$schemes" "$certs"
  done
  printf ',\n  "rotated.apk#lineage": ["%s"]\n}\n' \
    "$(keytool -exportcert -keystore old.p12 -storetype PKCS12 -storepass pass-old -alias old | sha256sum | cut -d' ' -f1)"
} > "$out/expected.json"
ls -l "$out"
