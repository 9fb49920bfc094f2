#!/usr/bin/env bash
# Creates or updates the chat-secrets Secret that the chatbox pods read.
#
#   deployments/kubernetes/create-secrets.sh [NAMESPACE]    (default: default)
#
# JWT_SECRET and ENCRYPTION_KEY are generated with `openssl rand -base64 32`.
# When the Secret already exists they are kept: a new ENCRYPTION_KEY would
# make every stored message unreadable, and a new JWT_SECRET would reject
# every token until the issuer shares it; ENCRYPTION_KEYS_OLD is kept as it
# is. MONGO_URI, LLM_PROVIDER_1_API_KEY, the optional keys of providers 2
# and 3, and the optional notification credentials (SMTP_USER, SMTP_PASS,
# SMS_ACCOUNT_SID, SMS_AUTH_TOKEN) and the attachments bucket's credentials
# (S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) are asked for without echoing them (Enter
# keeps the current value of an existing Secret).
#
# SMS needs SMS_FROM_NUMBER too, which is not a secret and lives in
# configmap.yaml: with SMS credentials the script checks that ConfigMap
# chat-config sets it and says what to do when it does not.
#
# Secret values never appear on a command line, in the output or in a file
# outside a private temporary directory that is removed on exit.
set -euo pipefail

readonly secret_name=chat-secrets
namespace="${1:-default}"

die() {
	echo "create-secrets.sh: $*" >&2
	exit 1
}

for tool in kubectl openssl base64; do
	command -v "$tool" >/dev/null 2>&1 || die "$tool is required"
done

workdir="$(mktemp -d)"
trap 'rm -rf "$workdir"' EXIT
chmod 700 "$workdir"

# store KEY VALUE: keeps one value as a file named after its key, without a
# trailing newline (the server uses JWT_SECRET byte for byte).
store() {
	printf '%s' "$2" >"$workdir/$1"
}

exists=no
if kubectl get secret "$secret_name" --namespace "$namespace" >/dev/null 2>&1; then
	exists=yes
fi

# current KEY: prints KEY's value in the existing Secret, or nothing.
current() {
	if [[ $exists == yes ]]; then
		kubectl get secret "$secret_name" --namespace "$namespace" -o "jsonpath={.data.$1}" | base64 -d
	fi
}

# keep_or_generate KEY: keeps KEY's current value, or generates 32 random bytes.
keep_or_generate() {
	local value
	value="$(current "$1")"
	if [[ -n $value ]]; then
		echo "$1: keeping the current value" >&2
	else
		value="$(openssl rand -base64 32)"
		echo "$1: generated (openssl rand -base64 32)" >&2
	fi
	store "$1" "$value"
}

# keep KEY: keeps KEY's current value, if it has one. For keys this script
# never makes up, such as ENCRYPTION_KEYS_OLD during a key rotation.
keep() {
	local value
	value="$(current "$1")"
	if [[ -n $value ]]; then
		echo "$1: keeping the current value" >&2
		store "$1" "$value"
	fi
}

# ask KEY DESCRIPTION PATTERN [optional]: reads KEY without echoing it until
# it matches the extended regular expression PATTERN. Enter keeps the current
# value; for an optional key without one, Enter leaves the key out.
ask() {
	local key=$1 description=$2 pattern=$3 optional=${4:-} value had hint=""
	had="$(current "$key")"
	if [[ -n $had ]]; then
		hint=" (Enter keeps the current value)"
	elif [[ -n $optional ]]; then
		hint=" (optional: Enter skips)"
	fi
	while true; do
		printf '%s, %s%s: ' "$key" "$description" "$hint" >&2
		IFS= read -rs value || die "no value for $key"
		echo >&2
		if [[ -z $value && -n $had ]]; then
			value=$had
		fi
		if [[ -z $value && -n $optional ]]; then
			return
		fi
		if [[ $value =~ $pattern ]]; then
			store "$key" "$value"
			return
		fi
		echo "$key: that does not look right; try again" >&2
	done
}

echo "Secret $secret_name in namespace $namespace ($([[ $exists == yes ]] && echo "updating" || echo "creating"))" >&2
keep_or_generate JWT_SECRET
keep_or_generate ENCRYPTION_KEY
keep ENCRYPTION_KEYS_OLD
ask MONGO_URI "e.g. mongodb://USER:PASSWORD@mongo:27017/chat" '^mongodb(\+srv)?://.+'
ask LLM_PROVIDER_1_API_KEY "the API key of LLM provider 1" '^[^[:space:]]+$'
ask LLM_PROVIDER_2_API_KEY "the API key of LLM provider 2, if configured" '^[^[:space:]]+$' optional
ask LLM_PROVIDER_3_API_KEY "the API key of LLM provider 3, if configured" '^[^[:space:]]+$' optional
ask SMTP_USER "user name on the mail server, for email notifications" '^[^[:space:]]+$' optional
ask SMTP_PASS "password on the mail server" '.' optional
ask SMS_ACCOUNT_SID "Twilio account SID, for SMS notifications" '^AC[0-9a-fA-F]{32}$' optional
ask SMS_AUTH_TOKEN "Twilio auth token" '^[^[:space:]]+$' optional
ask S3_ACCESS_KEY_ID "access key id of the attachments bucket (S3_BUCKET)" '^[^[:space:]]+$' optional
ask S3_SECRET_ACCESS_KEY "secret access key of the attachments bucket" '^[^[:space:]]+$' optional

# SMS also needs the number messages are sent from. It is not a secret, so
# it lives in the ConfigMap (SMS_FROM_NUMBER in configmap.yaml); without it
# a pod with SMS_ACCOUNT_SID refuses to start. Say so now, not at the next
# rollout. The ConfigMap is only read, never changed: applying
# configmap.yaml again would undo a change made here.
if [[ -f $workdir/SMS_ACCOUNT_SID ]]; then
	from="$(kubectl get configmap chat-config --namespace "$namespace" -o 'jsonpath={.data.SMS_FROM_NUMBER}' 2>/dev/null || true)"
	if [[ -n $from ]]; then
		echo "SMS_FROM_NUMBER: $from (ConfigMap chat-config)" >&2
	else
		echo "SMS_FROM_NUMBER: not set in ConfigMap chat-config. Set SMS_FROM_NUMBER (your Twilio number in E.164 form, such as +14155550199) and ADMIN_PHONES in configmap.yaml and apply it: pods with SMS_ACCOUNT_SID refuse to start without it." >&2
	fi
fi

kubectl create secret generic "$secret_name" --namespace "$namespace" \
	--from-file="$workdir" --dry-run=client -o yaml |
	kubectl apply -f -

echo "Done. Keys: $(cd "$workdir" && echo *)" >&2
echo "Restart the pods to load new values: kubectl rollout restart deployment/chatbox-websocket --namespace $namespace" >&2
