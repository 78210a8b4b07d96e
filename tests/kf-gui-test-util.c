/* kf-gui-test-util.c: helpers for the GUI tests: waiting, finding widgets,
 * simulated drops and PNG screenshots
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <locale.h>
#include <glib/gi18n.h>

#include <adwaita.h>

#include "kf-gcrypt.h"
#include "kf-gui-test-util.h"

/*
 * kf_gui_test_init_i18n:
 *
 * Uses the catalogues built in this tree (KF_LOCALEDIR), so that
 * LANGUAGE=ro shows the app in Romanian without installing it.
 */
void
kf_gui_test_init_i18n (void)
{
  const char *localedir = g_getenv ("KF_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, localedir != NULL ? localedir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
}

/*
 * kf_gui_test_init:
 *
 * Starts a program that tests widgets on their own, in English:
 * libgcrypt, the catalogues (kf_gui_test_init_i18n()), GTK's test mode
 * and libadwaita.
 */
void
kf_gui_test_init (int    *argc,
                  char ***argv)
{
  kf_gcrypt_init ();
  kf_gui_test_init_i18n ();
  g_setenv ("LANGUAGE", "C", TRUE);
  gtk_test_init (argc, argv, NULL);
  adw_init ();
}

static gboolean
on_timeout (gpointer data)
{
  gboolean *expired = data;

  *expired = TRUE;
  return G_SOURCE_REMOVE;
}

/*
 * kf_gui_test_wait_for:
 *
 * Runs the main loop until @condition holds or @timeout_ms passed.
 * Returns whether it holds.
 */
gboolean
kf_gui_test_wait_for (KfTestCondition condition,
                      gpointer        data,
                      guint           timeout_ms)
{
  gboolean expired = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &expired);

  while (!condition (data) && !expired)
    g_main_context_iteration (NULL, TRUE);

  if (!expired)
    g_source_remove (id);
  return condition (data);
}

static gboolean
never (gpointer data)
{
  return FALSE;
}

/* Lets the main loop run for @ms (animations, layout, frames). */
void
kf_gui_test_settle (guint ms)
{
  kf_gui_test_wait_for (never, NULL, ms);
}

/* Returns the first visible toplevel window of @type, or NULL. */
GtkWidget *
kf_gui_test_find_window (GType type)
{
  GListModel *toplevels = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GtkWidget) window = g_list_model_get_item (toplevels, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (window, type) && gtk_widget_get_visible (window))
        return window;
    }
  return NULL;
}

/* Returns the @index-th descendant of @root of @type (depth first), or NULL. */
GtkWidget *
kf_gui_test_find_child (GtkWidget *root,
                        GType      type,
                        guint      index)
{
  g_autoptr(GQueue) queue = g_queue_new ();
  guint seen = 0;

  g_queue_push_tail (queue, root);
  while (!g_queue_is_empty (queue))
    {
      GtkWidget *widget = g_queue_pop_head (queue);

      if (widget != root && G_TYPE_CHECK_INSTANCE_TYPE (widget, type) && seen++ == index)
        return widget;
      for (GtkWidget *child = gtk_widget_get_last_child (widget);
           child != NULL;
           child = gtk_widget_get_prev_sibling (child))
        g_queue_push_head (queue, child);
    }
  return NULL;
}

/* Returns the descendant of @root whose id in its .ui file is @id, or NULL. */
GtkWidget *
kf_gui_test_find_by_id (GtkWidget  *root,
                        const char *id)
{
  GtkWidget *widget;

  for (guint i = 0; (widget = kf_gui_test_find_child (root, GTK_TYPE_WIDGET, i)) != NULL; i++)
    if (g_strcmp0 (gtk_buildable_get_buildable_id (GTK_BUILDABLE (widget)), id) == 0)
      return widget;
  return NULL;
}

/* Puts @child in a window of 640 × 720 and shows it.  Returns the window. */
GtkWidget *
kf_gui_test_show_in_window (GtkWidget *child)
{
  GtkWidget *window = gtk_window_new ();

  gtk_window_set_default_size (GTK_WINDOW (window), 640, 720);
  gtk_window_set_child (GTK_WINDOW (window), child);
  gtk_window_present (GTK_WINDOW (window));
  return window;
}

/* How many descendants of @root are of @type. */
guint
kf_gui_test_count_children (GtkWidget *root,
                            GType      type)
{
  guint n = 0;

  while (kf_gui_test_find_child (root, type, n) != NULL)
    n++;
  return n;
}

/*
 * kf_gui_test_respond:
 *
 * Clicks the button of @dialog that gives @response, as a person would
 * (adw_message_dialog_response() alone does not close the dialog).
 */
void
kf_gui_test_respond (GtkWidget  *dialog,
                     const char *response)
{
  const char *label = adw_message_dialog_get_response_label (ADW_MESSAGE_DIALOG (dialog),
                                                             response);
  GtkWidget *button;

  for (guint i = 0; (button = kf_gui_test_find_child (dialog, GTK_TYPE_BUTTON, i)) != NULL; i++)
    if (g_strcmp0 (gtk_button_get_label (GTK_BUTTON (button)), label) == 0)
      {
        g_assert_true (gtk_widget_is_sensitive (button));
        g_signal_emit_by_name (button, "clicked");
        return;
      }
  g_error ("no button for the response %s (%s)", response, label);
}

/*
 * kf_gui_test_drop_files:
 *
 * Simulates a file manager dropping @files (NULL-terminated) on @widget:
 * finds its drop target and emits ::drop with a file list.  Returns what
 * the target said.
 */
gboolean
kf_gui_test_drop_files (GtkWidget  *widget,
                        GFile     **files)
{
  g_autoptr(GListModel) controllers = gtk_widget_observe_controllers (widget);
  g_auto(GValue) value = G_VALUE_INIT;
  GSList *list = NULL;

  for (guint i = 0; files[i] != NULL; i++)
    list = g_slist_prepend (list, files[i]);
  list = g_slist_reverse (list);
  g_value_init (&value, GDK_TYPE_FILE_LIST);
  g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
  g_slist_free (list);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr(GtkEventController) controller = g_list_model_get_item (controllers, i);
      gboolean accepted = FALSE;

      if (!GTK_IS_DROP_TARGET (controller))
        continue;
      g_signal_emit_by_name (controller, "drop", &value, 10.0, 10.0, &accepted);
      return accepted;
    }
  return FALSE;
}

/* Drops the one file @file on @widget, as kf_gui_test_drop_files(). */
gboolean
kf_gui_test_drop_file (GtkWidget *widget,
                       GFile     *file)
{
  GFile *files[] = { file, NULL };

  return kf_gui_test_drop_files (widget, files);
}

typedef struct
{
  GtkWidget     *widget;
  GdkPaintable  *paintable;
  GskRenderNode *node;
  int            width;
  int            height;
  gboolean       painted;
} Capture;

/* The frame clock finished a frame: every widget has its allocation now,
 * and until the main loop runs again nothing can invalidate it.  So the
 * snapshot is taken here, never between two iterations (a widget shown
 * since the last layout has no allocation, and GTK warns when asked to
 * snapshot it). */
static void
capture_after_paint (GdkFrameClock *clock,
                     Capture       *capture)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();

  capture->painted = TRUE;
  capture->width = gtk_widget_get_width (capture->widget);
  capture->height = gtk_widget_get_height (capture->widget);
  gdk_paintable_snapshot (capture->paintable, GDK_SNAPSHOT (snapshot),
                          capture->width, capture->height);
  capture->node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

/*
 * kf_gui_test_screenshot:
 *
 * Renders @widget (mapped) to KF_SCREENSHOT_DIR/@name.png when that
 * variable is set; the rendering must produce a non-empty image.
 */
void
kf_gui_test_screenshot (GtkWidget  *widget,
                        const char *name)
{
  const char *dir = g_getenv ("KF_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *file_name = NULL;
  g_autofree char *path = NULL;
  GdkFrameClock *clock;
  GskRenderer *renderer;
  Capture capture = { widget, NULL, NULL, 0, 0, FALSE };
  gulong handler;
  int width, height;

  if (dir == NULL || dir[0] == '\0')
    return;

  g_assert_true (gtk_widget_get_mapped (widget));
  kf_gui_test_settle (400);

  /* A widget waiting for a new allocation (a label that just changed)
   * draws nothing: take the snapshot right after a frame, and retry. */
  paintable = gtk_widget_paintable_new (widget);
  capture.paintable = paintable;
  clock = gtk_widget_get_frame_clock (widget);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (capture_after_paint), &capture);
  for (guint attempt = 0; capture.node == NULL && attempt < 50; attempt++)
    {
      gint64 deadline = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;

      capture.painted = FALSE;
      gtk_widget_queue_draw (widget);
      gdk_frame_clock_request_phase (clock, GDK_FRAME_CLOCK_PHASE_PAINT);
      while (!capture.painted && g_get_monotonic_time () < deadline)
        g_main_context_iteration (NULL, TRUE);
    }
  g_signal_handler_disconnect (clock, handler);
  node = g_steal_pointer (&capture.node);
  width = capture.width;
  height = capture.height;
  g_assert_nonnull (node);

  renderer = gtk_native_get_renderer (gtk_widget_get_native (widget));
  texture = gsk_renderer_render_texture (renderer, node,
                                         &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_assert_nonnull (texture);

  g_mkdir_with_parents (dir, 0755);
  file_name = g_strdup_printf ("%s.png", name);
  path = g_build_filename (dir, file_name, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot %s", path);
}

static const char notifications_xml[] =
  "<node>"
  "  <interface name='org.freedesktop.Notifications'>"
  "    <method name='Notify'>"
  "      <arg type='s' direction='in'/><arg type='u' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='s' direction='in'/>"
  "      <arg type='s' direction='in'/><arg type='as' direction='in'/>"
  "      <arg type='a{sv}' direction='in'/><arg type='i' direction='in'/>"
  "      <arg type='u' direction='out'/>"
  "    </method>"
  "    <method name='CloseNotification'><arg type='u' direction='in'/></method>"
  "  </interface>"
  "</node>";

/* Notify: records the summary (the notification's title) and answers an id. */
static void
on_notifications_call (GDBusConnection       *connection,
                       const char            *sender,
                       const char            *object_path,
                       const char            *interface_name,
                       const char            *method_name,
                       GVariant              *parameters,
                       GDBusMethodInvocation *invocation,
                       gpointer               user_data)
{
  GPtrArray *summaries = user_data;
  const char *summary = NULL;

  if (g_str_equal (method_name, "Notify"))
    {
      g_variant_get_child (parameters, 3, "&s", &summary);
      g_ptr_array_add (summaries, g_strdup (summary));
      g_dbus_method_invocation_return_value (invocation,
                                             g_variant_new ("(u)", summaries->len));
      return;
    }
  g_dbus_method_invocation_return_value (invocation, NULL);
}

static const GDBusInterfaceVTable notifications_vtable = { on_notifications_call };

static void
on_name_acquired (GDBusConnection *connection,
                  const char      *name,
                  gpointer         user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
is_true (gpointer data)
{
  return *(gboolean *) data;
}

/*
 * kf_gui_test_own_notifications:
 *
 * Plays the desktop's notification server on the session bus, so that
 * GNotifications can be checked: each one's title lands in @summaries.
 */
void
kf_gui_test_own_notifications (GPtrArray *summaries)
{
  g_autoptr(GDBusConnection) bus = g_bus_get_sync (G_BUS_TYPE_SESSION, NULL, NULL);
  g_autoptr(GDBusNodeInfo) info = g_dbus_node_info_new_for_xml (notifications_xml, NULL);
  static gboolean acquired;

  g_assert_nonnull (bus);
  g_assert_cmpuint (g_dbus_connection_register_object (bus, "/org/freedesktop/Notifications",
                                                       info->interfaces[0],
                                                       &notifications_vtable, summaries,
                                                       NULL, NULL), >, 0);
  g_bus_own_name_on_connection (bus, "org.freedesktop.Notifications",
                                G_BUS_NAME_OWNER_FLAGS_NONE, on_name_acquired, NULL,
                                &acquired, NULL);
  g_assert_true (kf_gui_test_wait_for (is_true, &acquired, 5000));
}

/* The one warning of the GTK stack the tests tolerate.  libadwaita 1.2's
 * AdwMessageDialog can show a response button between its allocation and
 * the frame's snapshot (when it switches its responses between a row and
 * a column as its width settles); GTK 4.8 then warns once that it
 * snapshots a button with no allocation yet.  It is harmless and depends
 * on timing, so it is written out, not fatal; every other message goes to
 * GLib's default writer, fatal as before.  (GTK logs through the
 * structured API, which g_test_log_set_fatal_handler() does not see.) */
static GLogWriterOutput
tolerant_writer (GLogLevelFlags   log_level,
                 const GLogField *fields,
                 gsize            n_fields,
                 gpointer         user_data)
{
  const char *domain = NULL;
  const char *message = NULL;

  for (gsize i = 0; i < n_fields; i++)
    {
      if (g_str_equal (fields[i].key, "GLIB_DOMAIN") && fields[i].length < 0)
        domain = fields[i].value;
      else if (g_str_equal (fields[i].key, "MESSAGE") && fields[i].length < 0)
        message = fields[i].value;
    }
  if ((log_level & G_LOG_LEVEL_WARNING) != 0
      && g_strcmp0 (domain, "Gtk") == 0 && message != NULL
      && g_str_has_prefix (message, "Trying to snapshot ")
      && g_str_has_suffix (message, " without a current allocation"))
    {
      g_printerr ("Gtk-WARNING (tolerated): %s\n", message);
      return G_LOG_WRITER_HANDLED;
    }
  return g_log_writer_default (log_level, fields, n_fields, user_data);
}

/*
 * kf_gui_test_tolerate_unallocated_snapshot:
 *
 * Makes GTK's "Trying to snapshot … without a current allocation" warning
 * non-fatal (see above).  Call once, before GTK starts.
 */
void
kf_gui_test_tolerate_unallocated_snapshot (void)
{
  g_log_set_writer_func (tolerant_writer, NULL, NULL);
}
