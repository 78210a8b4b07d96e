/* SPDX-License-Identifier: GPL-3.0-or-later */

#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The most identities one connection may block; beyond, the oldest
 * block is forgotten. */
#define KF_SERVER_BLOCKS_MAX 256

typedef struct _KfServerBlocks KfServerBlocks;

KfServerBlocks *kf_server_blocks_new      (void);
void            kf_server_blocks_free     (KfServerBlocks *self);
void            kf_server_blocks_add      (KfServerBlocks *self,
                                           const guint8    public_key[32]);
gboolean        kf_server_blocks_contains (KfServerBlocks *self,
                                           const guint8    public_key[32]);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (KfServerBlocks, kf_server_blocks_free)

G_END_DECLS
