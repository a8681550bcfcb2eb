import { sessionObjectPath, systemBusAvailable, unlockedSession } from './unlock-monitor';

describe('unlock monitor', () => {
  it.each([
    [
      '/org/freedesktop/login1/session/_32: org.freedesktop.login1.Session.Unlock ()',
      '/org/freedesktop/login1/session/_32',
    ],
    [
      "/org/freedesktop/login1/session/c1: org.freedesktop.DBus.Properties.PropertiesChanged ('org.freedesktop.login1.Session', {'LockedHint': <false>}, @as [])",
      '/org/freedesktop/login1/session/c1',
    ],
    [
      "/org/freedesktop/login1/session/c1: org.freedesktop.DBus.Properties.PropertiesChanged ('org.freedesktop.login1.Session', {'LockedHint': <true>}, @as [])",
      null,
    ],
    ['/org/freedesktop/login1/session/_32: org.freedesktop.login1.Session.Lock ()', null],
    ["/org/freedesktop/login1: org.freedesktop.login1.Manager.SessionNew ('3', objectpath '/x')", null],
    ['The name org.freedesktop.login1 is owned by :1.3', null],
  ])('reads %s', (line, expected) => {
    expect(unlockedSession(line)).toBe(expected);
  });

  it('encodes session ids as logind names its objects', () => {
    expect(sessionObjectPath('2')).toBe('/org/freedesktop/login1/session/_32');
    expect(sessionObjectPath('c12')).toBe('/org/freedesktop/login1/session/c12');
    expect(sessionObjectPath('a-b')).toBe('/org/freedesktop/login1/session/a_2db');
  });

  it('knows when there is no system bus', () => {
    expect(systemBusAvailable({ DBUS_SYSTEM_BUS_ADDRESS: 'unix:path=/nonexistent/bus' })).toBe(false);
  });
});
