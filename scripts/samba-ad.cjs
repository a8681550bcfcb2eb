#!/usr/bin/env node
'use strict';
// A throwaway Samba 4 AD domain controller in the foreground (for the local stack and for poking at Active
// Directory by hand); Ctrl-C or SIGTERM stops it and removes its data. See --help.

const path = require('node:path');
const { startSambaAd } = require('./lib/samba-ad.cjs');
const { runLauncher } = require('./lib/throwaway-server.cjs');

const HELP = `Usage: node scripts/samba-ad.cjs start [options]

Runs a throwaway Samba 4 Active Directory domain controller (realm CREDROAM.TEST) in the foreground until Ctrl-C
or SIGTERM, then removes its data. Root only. Installs Samba's packages with apt-get first if they are missing.
The first run on a machine provisions a template domain (about 30 s) in the temp directory; later runs copy it
and answer in about two seconds.

The DC runs in a network namespace of its own (its LDAP ports, 389 and 636, are compiled in, and the host's may
be taken); this process forwards a port on 127.0.0.1 to the DC's ldapi socket, so LDAP is reachable only while it
runs. Simple binds on that plain ldap:// port are allowed (loopback only).

Demo users alice, bob, carol (password <name>-pass, complexity relaxed), the directory-gateway's account
credroam-gateway and the admin CLI's credroam-admin, delegated as deploy/active-directory describes.

Options:
  --port N    the forwarded ldap:// port on 127.0.0.1 (default 3389; 0 picks a free one)
  --json      print the connection details as one JSON line instead of a table
  --kerberos  also make the service principal HTTP/127.0.0.1 with its keytab, and a krb5.conf for the realm (the
              KDC forwarded on a port of 127.0.0.1, TCP), and print logon-events' CREDROAM_KERBEROS_* settings
  -h, --help  this help

The line "samba-ad ready" (or the JSON line) is printed once LDAP answers.`;

function parse(argv) {
  const options = { port: 3389, json: false, kerberos: false };
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') return { help: true };
  if (command !== 'start') throw new Error(`unknown command "${command}"`);
  while (rest.length > 0) {
    const flag = rest.shift();
    if (flag === '-h' || flag === '--help') return { help: true };
    else if (flag === '--json') options.json = true;
    else if (flag === '--kerberos') options.kerberos = true;
    else if (flag === '--port') {
      const port = Number(rest.shift());
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new Error('--port must be a port number');
      options.port = port;
    } else throw new Error(`unknown option "${flag}"`);
  }
  return options;
}

async function start(options) {
  const dc = await startSambaAd({ port: options.port });
  const details = {
    url: dc.url,
    realm: dc.realm,
    suffix: dc.suffix,
    usersDn: dc.peopleDn,
    adminDn: dc.adminDn,
    adminPassword: dc.adminPassword,
    serviceDn: dc.serviceDn,
    servicePassword: dc.servicePassword,
    readerDn: dc.readerDn,
    readerPassword: dc.readerPassword,
    users: dc.users.map(({ login, dn, password }) => ({ login, dn, password })),
    gatewayEnv: dc.gatewayEnv,
    ldapiPath: dc.ldapiPath,
    pid: dc.pid,
    dir: dc.dir,
    timings: dc.timings,
    kdc: `127.0.0.1:${dc.kdcPort}`,
  };
  if (options.kerberos) {
    const keytab = path.join(dc.dir, 'http.keytab');
    details.krb5Config = dc.writeKrb5Conf(path.join(dc.dir, 'krb5.conf'));
    details.logonEventsEnv = {
      CREDROAM_KERBEROS_KEYTAB: keytab,
      CREDROAM_KERBEROS_SERVICE_PRINCIPAL: dc.addServicePrincipal('HTTP/127.0.0.1', keytab),
    };
  }
  if (options.json) {
    console.log(JSON.stringify(details));
  } else {
    const { installMs, templateMs, copyAndStartMs } = dc.timings;
    const rows = [
      ['url', `${dc.url}  (forwarded to ${dc.ldapiPath})`],
      ['realm', `${dc.realm}, base ${dc.suffix} (users under ${dc.peopleDn})`],
      ['admin', `${dc.adminDn} / ${dc.adminPassword}  (Domain Admin)`],
      ['gateway', `${dc.serviceDn} / ${dc.servicePassword}`],
      ['admin CLI', `${dc.readerDn} / ${dc.readerPassword}`],
      ...dc.users.map((user) => ['user', `${user.login} / ${user.password}  (${user.dn})`]),
      ['data', `${dc.dir} (removed on exit)`],
    ];
    console.log(
      `samba-ad ready (pid ${dc.pid}, ${dc.startupMs} ms: install ${installMs}, template ${templateMs}, ` +
        `copy and start ${copyAndStartMs}), dev credentials, never for production:`,
    );
    for (const [label, text] of rows) console.log(`  ${label.padEnd(10)} ${text}`);
    console.log('The directory-gateway against it:');
    for (const [name, value] of Object.entries(dc.gatewayEnv)) console.log(`  ${name}='${value}'`);
    console.log(`Its KDC: ${details.kdc} (TCP, forwarded into the DC's namespace)`);
    if (details.logonEventsEnv) {
      console.log(`Kerberos logons (export KRB5_CONFIG=${details.krb5Config} for kinit and the agent):`);
      for (const [name, value] of Object.entries(details.logonEventsEnv)) console.log(`  ${name}='${value}'`);
    }
    console.log('Ctrl-C to stop.');
  }
  return dc;
}

runLauncher({ label: 'samba-ad', help: HELP, parse, start });
