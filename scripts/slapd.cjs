#!/usr/bin/env node
'use strict';
// A throwaway slapd in the foreground (for the local stack and for poking at the directory by hand); Ctrl-C or
// SIGTERM stops it and removes its data. See --help.

const { startSlapd, DEMO_USERS, DEFAULT_SUFFIX } = require('./lib/slapd.cjs');
const { runLauncher } = require('./lib/throwaway-server.cjs');

const HELP = `Usage: node scripts/slapd.cjs start [options]

Runs a throwaway OpenLDAP slapd with credroam's schema and ACLs (deploy/openldap) in the foreground until
Ctrl-C or SIGTERM, then removes its data. Installs slapd with apt-get first if it is missing (root only).

Options:
  --port N          ldap:// port on 127.0.0.1 (default 3890; 0 picks a free one)
  --demo            add the demo users alice, bob, carol with passwords <name>-pass
  --tls             also listen on ldaps:// (generated CA printed; StartTLS works on --port too)
  --ldaps-port N    ldaps:// port with --tls (default: a free one)
  --suffix DN       base DN (default ${DEFAULT_SUFFIX})
  --admin-password  rootdn password (default admin)
  --dialect D       openldap (default) or active-directory (TEST ONLY: token attributes as DN-Binary strings)
  --json            print the connection details as one JSON line instead of a table
  -h, --help        this help

The line "slapd ready" (or the JSON line) is printed once it answers.`;

function parse(argv) {
  const options = { port: 3890, demo: false, tls: false, json: false };
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') return { help: true };
  if (command !== 'start') throw new Error(`unknown command "${command}"`);
  const value = (flag) => {
    const next = rest.shift();
    if (next === undefined || next.startsWith('--')) throw new Error(`${flag} needs a value`);
    return next;
  };
  const port = (flag) => {
    const number = Number(value(flag));
    if (!Number.isInteger(number) || number < 0 || number > 65535)
      throw new Error(`${flag} must be a port number`);
    return number;
  };
  while (rest.length > 0) {
    const flag = rest.shift();
    if (flag === '-h' || flag === '--help') return { help: true };
    else if (flag === '--port') options.port = port(flag);
    else if (flag === '--ldaps-port') options.ldapsPort = port(flag);
    else if (flag === '--demo') options.demo = true;
    else if (flag === '--tls') options.tls = true;
    else if (flag === '--json') options.json = true;
    else if (flag === '--suffix') options.suffix = value(flag);
    else if (flag === '--admin-password') options.adminPassword = value(flag);
    else if (flag === '--dialect') options.dialect = value(flag);
    else throw new Error(`unknown option "${flag}"`);
  }
  return options;
}

async function start(options) {
  const slapd = await startSlapd({
    port: options.port,
    ldapsPort: options.ldapsPort,
    tls: options.tls,
    suffix: options.suffix,
    adminPassword: options.adminPassword,
    dialect: options.dialect,
    users: options.demo ? DEMO_USERS : [],
  });
  const details = {
    url: slapd.url,
    ldapsUrl: slapd.ldapsUrl,
    caFile: slapd.caFile,
    suffix: slapd.suffix,
    peopleDn: slapd.peopleDn,
    adminDn: slapd.adminDn,
    adminPassword: slapd.adminPassword,
    serviceDn: slapd.serviceDn,
    servicePassword: slapd.servicePassword,
    users: slapd.users.map(({ uid, dn, password }) => ({ uid, dn, password })),
    pid: slapd.pid,
    dir: slapd.dir,
  };
  if (options.json) {
    console.log(JSON.stringify(details));
  } else {
    const rows = [
      ['url', slapd.url],
      ...(slapd.ldapsUrl
        ? [['ldaps url', `${slapd.ldapsUrl} (CA ${slapd.caFile}; StartTLS on the ldap port)`]]
        : []),
      ['base', `${slapd.suffix} (users under ${slapd.peopleDn})`],
      ['admin', `${slapd.adminDn} / ${slapd.adminPassword}`],
      ['gateway', `${slapd.serviceDn} / ${slapd.servicePassword}`],
      ...slapd.users.map((user) => ['user', `${user.uid} / ${user.password}  (${user.dn})`]),
      ['data', `${slapd.dir} (removed on exit)`],
    ];
    console.log(
      `slapd ready (pid ${slapd.pid}, ${slapd.startupMs} ms), dev credentials, never for production:`,
    );
    for (const [label, text] of rows) console.log(`  ${label.padEnd(10)} ${text}`);
    console.log('Ctrl-C to stop.');
  }
  return slapd;
}

runLauncher({ label: 'slapd', help: HELP, parse, start });
