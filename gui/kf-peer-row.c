/* kf-peer-row.c: one waiting peer in the Send list; files and folders can be dropped on it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <glib/gi18n.h>

#include "kf-peer-row.h"

struct _KfPeerRow
{
  AdwActionRow parent_instance;

  GtkWidget   *chosen_image;

  guint        peer_id;
  char        *peer_name;
};

enum {
  PROP_0,
  PROP_PEER_ID,
  PROP_PEER_NAME,
  N_PROPS
};

enum {
  FILES_DROPPED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

G_DEFINE_FINAL_TYPE (KfPeerRow, kf_peer_row, ADW_TYPE_ACTION_ROW)

/*
 * on_drop:
 *
 * Takes every file and folder of a drop from the file manager and emits
 * ::files-dropped; refuses drops without a file.
 */
static gboolean
on_drop (GtkDropTarget *target,
         const GValue  *value,
         double         x,
         double         y,
         KfPeerRow     *self)
{
  GSList one = { NULL, NULL };
  GSList *files = NULL;

  if (G_VALUE_HOLDS (value, GDK_TYPE_FILE_LIST))
    files = g_value_get_boxed (value);
  else if (G_VALUE_HOLDS (value, G_TYPE_FILE) && g_value_get_object (value) != NULL)
    {
      one.data = g_value_get_object (value);
      files = &one;
    }

  if (files == NULL)
    return FALSE;

  g_signal_emit (self, signals[FILES_DROPPED], 0, files);
  return TRUE;
}

static void
kf_peer_row_constructed (GObject *object)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  G_OBJECT_CLASS (kf_peer_row_parent_class)->constructed (object);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self), self->peer_name);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  _("Select to send to this person, or drop files here"),
                                  -1);
}

static void
kf_peer_row_finalize (GObject *object)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  g_clear_pointer (&self->peer_name, g_free);

  G_OBJECT_CLASS (kf_peer_row_parent_class)->finalize (object);
}

static void
kf_peer_row_get_property (GObject    *object,
                          guint       prop_id,
                          GValue     *value,
                          GParamSpec *pspec)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  switch (prop_id)
    {
    case PROP_PEER_ID:
      g_value_set_uint (value, self->peer_id);
      break;
    case PROP_PEER_NAME:
      g_value_set_string (value, self->peer_name);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_peer_row_set_property (GObject      *object,
                          guint         prop_id,
                          const GValue *value,
                          GParamSpec   *pspec)
{
  KfPeerRow *self = KF_PEER_ROW (object);

  switch (prop_id)
    {
    case PROP_PEER_ID:
      self->peer_id = g_value_get_uint (value);
      break;
    case PROP_PEER_NAME:
      self->peer_name = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
kf_peer_row_class_init (KfPeerRowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->constructed = kf_peer_row_constructed;
  object_class->finalize = kf_peer_row_finalize;
  object_class->get_property = kf_peer_row_get_property;
  object_class->set_property = kf_peer_row_set_property;

  properties[PROP_PEER_ID] =
    g_param_spec_uint ("peer-id", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PEER_NAME] =
    g_param_spec_string ("peer-name", NULL, NULL, "",
                         G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /**
   * KfPeerRow::files-dropped:
   * @files: (element-type GFile): the dropped files and folders
   *
   * Files were dropped on this row: send them to this peer.
   */
  signals[FILES_DROPPED] =
    g_signal_new ("files-dropped", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1,
                  GDK_TYPE_FILE_LIST | G_SIGNAL_TYPE_STATIC_SCOPE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/keyferry/Keyferry/kf-peer-row.ui");
  gtk_widget_class_bind_template_child (widget_class, KfPeerRow, chosen_image);
}

static void
kf_peer_row_init (KfPeerRow *self)
{
  GtkDropTarget *target;
  GType types[] = { GDK_TYPE_FILE_LIST, G_TYPE_FILE };

  gtk_widget_init_template (GTK_WIDGET (self));

  target = gtk_drop_target_new (G_TYPE_INVALID, GDK_ACTION_COPY);
  gtk_drop_target_set_gtypes (target, types, G_N_ELEMENTS (types));
  g_signal_connect (target, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (target));
}

/* Returns a new row for the waiting peer @peer_id called @peer_name. */
GtkWidget *
kf_peer_row_new (guint       peer_id,
                 const char *peer_name)
{
  return g_object_new (KF_TYPE_PEER_ROW,
                       "peer-id", peer_id,
                       "peer-name", peer_name,
                       NULL);
}

guint
kf_peer_row_get_peer_id (KfPeerRow *self)
{
  g_return_val_if_fail (KF_IS_PEER_ROW (self), 0);
  return self->peer_id;
}

const char *
kf_peer_row_get_peer_name (KfPeerRow *self)
{
  g_return_val_if_fail (KF_IS_PEER_ROW (self), NULL);
  return self->peer_name;
}

/* Marks this row as the one the file goes to (a check mark, and the
 * selected state for screen readers). */
void
kf_peer_row_set_chosen (KfPeerRow *self,
                        gboolean   chosen)
{
  g_return_if_fail (KF_IS_PEER_ROW (self));

  gtk_widget_set_visible (self->chosen_image, chosen);
  gtk_accessible_update_state (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_STATE_SELECTED, chosen, -1);
}

gboolean
kf_peer_row_get_chosen (KfPeerRow *self)
{
  g_return_val_if_fail (KF_IS_PEER_ROW (self), FALSE);
  return gtk_widget_get_visible (self->chosen_image);
}

/*
 * kf_peer_row_set_show_id:
 *
 * Shows the peer's number under the name: only needed, and only done,
 * where two waiting people share a name.
 */
void
kf_peer_row_set_show_id (KfPeerRow *self,
                         gboolean   show_id)
{
  g_autofree char *id_text = NULL;

  g_return_if_fail (KF_IS_PEER_ROW (self));

  id_text = show_id ? g_strdup_printf ("#%u", self->peer_id) : NULL;
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self), id_text != NULL ? id_text : "");
}
