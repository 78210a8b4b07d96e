/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

/* kf-gui-transfer-util.h: what the window's transfer tests share
 * (test-gui-transfer.c, test-gui-tree.c). */

#include "kf-gui-flow-fixture.h"

G_BEGIN_DECLS

/* How long a sender may take to reach the window on a loaded machine. */
#define CLI_TIMEOUT_MS 60000

const char  *xfer_language    (void);
GtkWidget   *xfer_by_id       (GtkWidget   *root,
                               const char  *id);
GtkWidget   *xfer_page        (Fixture     *fx);
GSubprocess *xfer_start_cli   (Fixture     *fx,
                               const char  *name,
                               GFile      **files,
                               guint        n_files);
int          xfer_wait_cli    (Fixture     *fx,
                               GSubprocess *process);
GFile       *xfer_sparse_file (Fixture     *fx,
                               const char  *name,
                               goffset      size);

G_END_DECLS
