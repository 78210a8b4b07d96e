/* kf-server-notify.c: telling systemd how the service is doing
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The sd_notify protocol (sd_notify(3), "Type=notify" in
 * systemd.service(5)), spoken directly rather than through libsystemd:
 * one datagram of newline-separated VAR=value assignments (READY=1,
 * RELOADING=1, STOPPING=1, STATUS=…) to the AF_UNIX socket named in
 * $NOTIFY_SOCKET, a path, or an abstract name when it starts with '@'.
 * That is the whole of the protocol systemd 252 (Debian 12) reads from a
 * service; it is a few lines here, where libsystemd would be one more
 * shared library in a hardened daemon and in every build.
 *
 * Without $NOTIFY_SOCKET (not started by systemd, or Type= is not
 * notify) nothing is sent.
 */

#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "kf-server-notify.h"

/* Fills @addr from $NOTIFY_SOCKET; returns the address length, or 0 when
 * the variable is unset or names no AF_UNIX socket we can use. */
static socklen_t
notify_address (struct sockaddr_un *addr)
{
  const char *name = g_getenv ("NOTIFY_SOCKET");
  gsize len;

  if (name == NULL || (name[0] != '/' && name[0] != '@'))
    return 0;
  len = strlen (name);
  if (len < 2 || len + (name[0] == '/') > sizeof addr->sun_path)
    return 0;
  memset (addr, 0, sizeof *addr);
  addr->sun_family = AF_UNIX;
  memcpy (addr->sun_path, name, len);
  if (name[0] == '@')
    addr->sun_path[0] = '\0';
  return (socklen_t) (offsetof (struct sockaddr_un, sun_path) + len + (name[0] == '/'));
}

/*
 * kf_server_notify:
 * @state: newline-separated assignments, e.g. "READY=1\nSTATUS=Listening"
 *
 * Sends @state to the service manager.
 *
 * Returns: %TRUE when it was sent, %FALSE when there is no manager to
 * tell or the datagram could not be sent (logged as a debug message).
 */
gboolean
kf_server_notify (const char *state)
{
  struct sockaddr_un addr;
  socklen_t addr_len = notify_address (&addr);
  gssize sent;
  int fd;

  g_return_val_if_fail (state != NULL, FALSE);

  if (addr_len == 0)
    return FALSE;
  fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    {
      g_debug ("Cannot tell systemd “%s”: %s", state, g_strerror (errno));
      return FALSE;
    }
  do
    sent = sendto (fd, state, strlen (state), MSG_NOSIGNAL, (struct sockaddr *) &addr, addr_len);
  while (sent < 0 && errno == EINTR);
  if (sent < 0)
    g_debug ("Cannot tell systemd “%s”: %s", state, g_strerror (errno));
  close (fd);
  return sent >= 0;
}

/* kf_server_notify() with a printf-style @format. */
gboolean
kf_server_notify_printf (const char *format,
                         ...)
{
  g_autofree char *state = NULL;
  va_list args;

  va_start (args, format);
  state = g_strdup_vprintf (format, args);
  va_end (args);
  return kf_server_notify (state);
}
