#!/bin/sh
# slapd for docker-compose.yml: `serve` (default) writes slapd.conf with credroam's schema and ACLs, loads the
# initial entries on first start, and runs slapd in the foreground; `health` binds as the gateway's account.
# The same as scripts/lib/slapd.cjs does for the local stack, for a container.
set -eu

SUFFIX=${LDAP_SUFFIX:-dc=credroam,dc=test}
PORT=${LDAP_PORT:-1389}
LISTEN=${LDAP_LISTEN_HOST:-0.0.0.0}
ETC=${LDAP_ETC_DIR:-/etc/credroam-ldap}
STATE=${LDAP_STATE_DIR:-/var/lib/credroam-ldap}
SYSTEM_SCHEMA=${LDAP_SYSTEM_SCHEMA_DIR:-/etc/ldap/schema}
MODULES=${LDAP_MODULE_DIR:-/usr/lib/ldap}
ADMIN_PASSWORD_FILE=${LDAP_ADMIN_PASSWORD_FILE:-/run/credroam/ldap-admin/password}
GATEWAY_PASSWORD_FILE=${LDAP_GATEWAY_PASSWORD_FILE:-/run/credroam/ldap/password}
DEMO_USERS=${LDAP_DEMO_USERS:-true}
GATEWAY_DN="cn=credroam-gateway,ou=services,$SUFFIX"
# The shipped ACL file is written for this suffix (deploy/openldap/credroam-acl.conf).
ACL_SUFFIX='dc=credroam,dc=test'

# slappasswd hashes a file's whole content; the secret files end with a line break.
hash_of() {
  tmp=$(mktemp)
  tr -d '\r\n' <"$1" >"$tmp"
  slappasswd -h '{SSHA}' -T "$tmp"
  rm -f "$tmp"
}

if [ "${1:-serve}" = health ]; then
  exec ldapwhoami -x -H "ldap://127.0.0.1:$PORT/" -D "$GATEWAY_DN" -w "$(tr -d '\r\n' <"$GATEWAY_PASSWORD_FILE")"
fi
[ "${1:-serve}" = serve ] || exec "$@"

for file in "$ADMIN_PASSWORD_FILE" "$GATEWAY_PASSWORD_FILE"; do
  [ -r "$file" ] || { echo "slapd-entrypoint: cannot read $file" >&2; exit 2; }
done
mkdir -p "$STATE/data"
sed "s/$ACL_SUFFIX/$SUFFIX/g" "$ETC/credroam-acl.conf" >"$STATE/credroam-acl.conf"
{
  for schema in core cosine nis inetorgperson dyngroup; do echo "include $SYSTEM_SCHEMA/$schema.schema"; done
  echo "include $ETC/credroam.schema"
  echo "pidfile $STATE/slapd.pid"
  echo "argsfile $STATE/slapd.args"
  echo "modulepath $MODULES"
  echo 'moduleload back_mdb'
  echo 'moduleload dynlist'
  echo 'access to dn.base="" by users read by * none'
  echo 'access to dn.base="cn=Subschema" by users read by * none'
  echo 'database mdb'
  echo "suffix \"$SUFFIX\""
  echo "rootdn \"cn=admin,$SUFFIX\""
  echo "rootpw $(hash_of "$ADMIN_PASSWORD_FILE")"
  echo "directory $STATE/data"
  echo 'maxsize 1073741824'
  for attribute in objectClass uid cn entryUUID member; do echo "index $attribute eq"; done
  echo "include $STATE/credroam-acl.conf"
  echo 'overlay dynlist'
  echo 'dynlist-attrset groupOfURLs memberURL member+memberOf@groupOfNames'
} >"$STATE/slapd.conf"

if [ ! -e "$STATE/data/data.mdb" ]; then
  first=$(echo "$SUFFIX" | cut -d, -f1 | cut -d= -f2)
  {
    printf 'dn: %s\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\ndc: %s\no: %s\n\n' \
      "$SUFFIX" "$first" "$first"
    for ou in people services groups; do
      printf 'dn: ou=%s,%s\nobjectClass: top\nobjectClass: organizationalUnit\nou: %s\n\n' "$ou" "$SUFFIX" "$ou"
    done
    printf 'dn: %s\nobjectClass: top\nobjectClass: applicationProcess\nobjectClass: simpleSecurityObject\n' \
      "$GATEWAY_DN"
    printf 'cn: credroam-gateway\ndescription: credroam directory-gateway service account\nuserPassword: %s\n\n' \
      "$(hash_of "$GATEWAY_PASSWORD_FILE")"
    if [ "$DEMO_USERS" = true ]; then
      # DESIGN.md section 11: alice, bob and carol, password <name>-pass. Demo only: LDAP_DEMO_USERS=false.
      for user in alice bob carol; do
        name="$(echo "$user" | cut -c1 | tr a-z A-Z)$(echo "$user" | cut -c2-) Demo"
        password=$(mktemp)
        printf '%s' "$user-pass" >"$password"
        printf 'dn: uid=%s,ou=people,%s\nobjectClass: top\nobjectClass: person\nobjectClass: organizationalPerson\n' \
          "$user" "$SUFFIX"
        printf 'objectClass: inetOrgPerson\nuid: %s\ncn: %s\nsn: Demo\nmail: %s@credroam.test\nuserPassword: %s\n\n' \
          "$user" "$name" "$user" "$(slappasswd -h '{SSHA}' -T "$password")"
        rm -f "$password"
      done
    fi
  } >"$STATE/initial.ldif"
  slapadd -q -f "$STATE/slapd.conf" -l "$STATE/initial.ldif"
  rm -f "$STATE/initial.ldif"
  echo "slapd-entrypoint: loaded $SUFFIX (demo users: $DEMO_USERS)"
fi

exec slapd -d "${LDAP_DEBUG_LEVEL:-none}" -f "$STATE/slapd.conf" -h "ldap://$LISTEN:$PORT/"
