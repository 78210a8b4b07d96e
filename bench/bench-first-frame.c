/* bench-first-frame.c: time from exec to a program's first frame on X11
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Usage: bench-first-frame [--timeout S] -- PROGRAM [ARGS...]
 *
 * Watches the X display ($DISPLAY, e.g. Xvfb) from outside the program,
 * so that any two programs are timed by the same method without hooks in
 * them: it selects SubstructureNotify on the root window, asks the DAMAGE
 * extension to report drawing on every top-level window the program
 * creates, then forks and execs PROGRAM.  It prints the milliseconds from
 * the exec to the first MapNotify of a top-level window (`map_ms`) and to
 * the first damage of a mapped top-level window, i.e. its first drawn frame
 * (`frame_ms`), then kills the program.  Exits 1 when nothing was drawn
 * within the timeout.
 */

#include "config.h"

#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <X11/Xlib.h>
#include <X11/extensions/Xdamage.h>
#include <glib.h>

/* Windows can vanish, or be InputOnly, before DAMAGE is asked to watch
 * them: such errors concern the program's windows, not this watcher. */
static int
ignore_x_error (Display     *display,
                XErrorEvent *event)
{
  return 0;
}

/* Starts @argv in a child process; returns its pid, or -1. */
static pid_t
spawn (char **argv)
{
  pid_t pid = fork ();

  if (pid == 0)
    {
      execvp (argv[0], argv);
      _exit (127);
    }
  return pid;
}

int
main (int    argc,
      char **argv)
{
  int timeout_s = 30;
  int first = 1;
  int damage_event, damage_error;
  Display *display;
  gint64 started, deadline, map_at = 0, frame_at = 0;
  pid_t child;
  int status;

  if (argc > 2 && strcmp (argv[1], "--timeout") == 0)
    {
      timeout_s = CLAMP (atoi (argv[2]), 1, 600);
      first = 3;
    }
  if (first < argc && strcmp (argv[first], "--") == 0)
    first++;
  if (first >= argc)
    {
      fprintf (stderr, "usage: bench-first-frame [--timeout S] -- PROGRAM [ARGS...]\n");
      return 2;
    }
  display = XOpenDisplay (NULL);
  if (display == NULL)
    {
      fprintf (stderr, "bench-first-frame: cannot open the display\n");
      return 2;
    }
  if (!XDamageQueryExtension (display, &damage_event, &damage_error))
    {
      fprintf (stderr, "bench-first-frame: the X server has no DAMAGE extension\n");
      return 2;
    }
  XSetErrorHandler (ignore_x_error);
  XSelectInput (display, DefaultRootWindow (display), SubstructureNotifyMask);
  XSync (display, False);

  started = g_get_monotonic_time ();
  child = spawn (argv + first);
  if (child < 0)
    {
      perror ("bench-first-frame: fork");
      return 2;
    }
  deadline = started + (gint64) timeout_s * G_USEC_PER_SEC;

  while (frame_at == 0 && g_get_monotonic_time () < deadline)
    {
      struct pollfd pfd = { ConnectionNumber (display), POLLIN, 0 };

      if (XPending (display) == 0)
        {
          if (waitpid (child, &status, WNOHANG) == child)
            break;
          poll (&pfd, 1, 50);
          continue;
        }
      XEvent event;

      XNextEvent (display, &event);
      if (event.type == CreateNotify && !event.xcreatewindow.override_redirect)
        XDamageCreate (display, event.xcreatewindow.window, XDamageReportNonEmpty);
      else if (event.type == MapNotify && !event.xmap.override_redirect && map_at == 0)
        map_at = g_get_monotonic_time ();
      else if (event.type == damage_event + XDamageNotify && map_at != 0)
        frame_at = g_get_monotonic_time ();
    }

  if (map_at != 0)
    printf ("map_ms=%.1f\n", (map_at - started) / 1e3);
  if (frame_at != 0)
    printf ("frame_ms=%.1f\n", (frame_at - started) / 1e3);
  kill (child, SIGTERM);
  waitpid (child, &status, 0);
  XCloseDisplay (display);
  if (frame_at == 0)
    {
      fprintf (stderr, "bench-first-frame: no frame within %d s\n", timeout_s);
      return 1;
    }
  return 0;
}
