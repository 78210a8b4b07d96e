/* bench-gtk-minimal.c: the smallest GTK 4 app window, the reference for cold start
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * A GtkApplication that opens one window with a header bar and a label,
 * as an app does, and nothing else.  bench/run times it from exec to its
 * first frame exactly as it times the keyferry app (see bench-first-frame.c);
 * it quits by itself after --seconds (default 10) so a run is bounded.
 */

#include "config.h"

#include <stdlib.h>
#include <gtk/gtk.h>

static int seconds = 10;

static gboolean
quit_app (gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
  return G_SOURCE_REMOVE;
}

static void
activate (GtkApplication *app,
          gpointer        user_data)
{
  GtkWidget *window = gtk_application_window_new (app);

  gtk_window_set_title (GTK_WINDOW (window), "Minimal");
  gtk_window_set_default_size (GTK_WINDOW (window), 640, 480);
  gtk_window_set_titlebar (GTK_WINDOW (window), gtk_header_bar_new ());
  gtk_window_set_child (GTK_WINDOW (window), gtk_label_new ("A minimal GTK 4 window"));
  gtk_window_present (GTK_WINDOW (window));
  g_timeout_add_seconds (seconds, quit_app, app);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GtkApplication) app = NULL;

  if (argc > 2 && g_str_equal (argv[1], "--seconds"))
    seconds = CLAMP (atoi (argv[2]), 1, 600);
  app = gtk_application_new ("org.keyferry.BenchMinimal", G_APPLICATION_NON_UNIQUE);
  g_signal_connect (app, "activate", G_CALLBACK (activate), NULL);
  return g_application_run (G_APPLICATION (app), 1, argv);
}
