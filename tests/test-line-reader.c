/* test-line-reader.c: the bounded line reader against chunked, endless and
 * malformed input
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */

#include "config.h"

#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <gio/gunixinputstream.h>
#include <gcrypt.h>

#include "kf-gcrypt.h"
#include "kf-line-reader.h"
#include "kf-protocol.h"
#include "kf-secure.h"
#include "kf-test-util.h"

/* A stream that hands out @data (repeated forever when @endless) at most
 * @chunk bytes per read, and counts what it handed out. */
#define TEST_TYPE_STREAM (test_stream_get_type ())
G_DECLARE_FINAL_TYPE (TestStream, test_stream, TEST, STREAM, GInputStream)

struct _TestStream
{
  GInputStream  parent_instance;
  char         *data;
  gsize         len;
  gsize         pos;
  gsize         chunk;
  gboolean      endless;
  gsize         total;
};

G_DEFINE_FINAL_TYPE (TestStream, test_stream, G_TYPE_INPUT_STREAM)

static gssize
test_stream_read (GInputStream  *stream,
                  void          *buffer,
                  gsize          count,
                  GCancellable  *cancellable,
                  GError       **error)
{
  TestStream *self = TEST_STREAM (stream);
  gsize n;

  if (self->pos == self->len && self->endless)
    self->pos = 0;
  n = MIN (MIN (count, self->chunk), self->len - self->pos);
  memcpy (buffer, self->data + self->pos, n);
  self->pos += n;
  self->total += n;

  return (gssize) n;
}

static void
test_stream_finalize (GObject *object)
{
  g_free (TEST_STREAM (object)->data);
  G_OBJECT_CLASS (test_stream_parent_class)->finalize (object);
}

static void
test_stream_class_init (TestStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = test_stream_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = test_stream_read;
}

static void
test_stream_init (TestStream *self)
{
}

static TestStream *
test_stream_new (const char *data,
                 gsize       len,
                 gsize       chunk,
                 gboolean    endless)
{
  TestStream *self = g_object_new (TEST_TYPE_STREAM, NULL);

  self->data = g_memdup2 (data, len);
  self->len = len;
  self->chunk = chunk;
  self->endless = endless;

  return self;
}

/* Reads one line, iterating the main context until it is there. */
static char *
read_line (KfLineReader  *reader,
           gsize         *len,
           GError       **error)
{
  g_autoptr(GAsyncResult) result = NULL;

  kf_line_reader_read_line_async (reader, NULL, kf_test_store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);

  return kf_line_reader_read_line_finish (reader, result, len, error);
}

static KfLineReader *
reader_for (const char *data,
            gsize       chunk,
            gsize       max)
{
  g_autoptr(TestStream) stream = test_stream_new (data, strlen (data), chunk, FALSE);

  return kf_line_reader_new (G_INPUT_STREAM (stream), max);
}

static void
expect_line (KfLineReader *reader,
             const char   *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) line = NULL;
  gsize len = 99;

  line = read_line (reader, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, expected);
  g_assert_cmpuint (len, ==, strlen (expected));
  /* Lines may carry keys: they live in secure memory. */
  g_assert_true (gcry_is_secure (line));
}

static void
expect_error (KfLineReader *reader,
              GQuark        domain,
              int           code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) line = read_line (reader, NULL, &error);

  g_assert_null (line);
  g_assert_error (error, domain, code);
}

static void
expect_eof (KfLineReader *reader)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) line = read_line (reader, NULL, &error);

  g_assert_no_error (error);
  g_assert_null (line);
}

static void
test_lines_in_any_chunks (void)
{
  const gsize chunks[] = { 1, 2, 3, 7, 4096 };

  for (guint i = 0; i < G_N_ELEMENTS (chunks); i++)
    {
      g_autoptr(KfLineReader) reader = reader_for ("one\ntwo words\n\nünï\n", chunks[i], 16);

      expect_line (reader, "one");
      expect_line (reader, "two words");
      expect_line (reader, "");
      expect_line (reader, "ünï");
      expect_eof (reader);
      expect_eof (reader);
    }
}

static void
test_partial_line_at_eof (void)
{
  g_autoptr(KfLineReader) reader = reader_for ("whole\nhalf", 3, 16);

  expect_line (reader, "whole");
  expect_error (reader, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT);
}

static void
test_longest_line_fits (void)
{
  /* max 8 bytes, the LF included: 7 characters fit, 8 do not. */
  g_autoptr(KfLineReader) ok = reader_for ("1234567\n1234567\n", 5, 8);
  g_autoptr(KfLineReader) too_long = reader_for ("ab\n12345678\nnext\n", 5, 8);

  expect_line (ok, "1234567");
  expect_line (ok, "1234567");
  expect_eof (ok);

  expect_line (too_long, "ab");
  expect_error (too_long, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG);
  /* Sticky: the stream is out of step for good. */
  expect_error (too_long, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG);
}

static void
test_endless_line_is_bounded (void)
{
  g_autoptr(TestStream) stream = test_stream_new ("abcdefgh", 8, 1000, TRUE);
  g_autoptr(KfLineReader) reader = kf_line_reader_new (G_INPUT_STREAM (stream),
                                                       KF_PROTOCOL_MAX_LINE);

  expect_error (reader, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG);
  /* The reader stopped reading once its buffer was full. */
  g_assert_cmpuint (stream->total, ==, KF_PROTOCOL_MAX_LINE);
}

static void
test_bad_bytes (void)
{
  const struct { const char *data; gsize len; int code; } cases[] = {
    { "ok\nbad\r\n", 9, KF_PROTOCOL_ERROR_BAD_LINE },
    { "ok\nnul\0inside\n", 15, KF_PROTOCOL_ERROR_BAD_LINE },
    { "ok\nlatin1 \xe9t\xe9\n", 14, KF_PROTOCOL_ERROR_BAD_UTF8 },
    { "ok\nhalf \xc3\n", 10, KF_PROTOCOL_ERROR_BAD_UTF8 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(TestStream) stream = test_stream_new (cases[i].data, cases[i].len, 4, FALSE);
      g_autoptr(KfLineReader) reader = kf_line_reader_new (G_INPUT_STREAM (stream), 64);

      expect_line (reader, "ok");
      expect_error (reader, KF_PROTOCOL_ERROR, cases[i].code);
      expect_error (reader, KF_PROTOCOL_ERROR, cases[i].code);
    }
}

static void
test_one_read_at_a_time (void)
{
  g_autoptr(KfLineReader) reader = reader_for ("a\nb\n", 1, 8);
  g_autoptr(GAsyncResult) first = NULL;
  g_autoptr(GAsyncResult) second = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) line = NULL;

  kf_line_reader_read_line_async (reader, NULL, kf_test_store_result, &first);
  kf_line_reader_read_line_async (reader, NULL, kf_test_store_result, &second);
  while (first == NULL || second == NULL)
    g_main_context_iteration (NULL, TRUE);

  g_assert_null (kf_line_reader_read_line_finish (reader, second, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_clear_error (&error);
  line = kf_line_reader_read_line_finish (reader, first, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, "a");
  expect_line (reader, "b");
}

static void
test_cancelled (void)
{
  g_autoptr(KfLineReader) reader = reader_for ("a\nb\n", 1, 8);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  g_cancellable_cancel (cancellable);
  kf_line_reader_read_line_async (reader, cancellable, kf_test_store_result, &result);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (kf_line_reader_read_line_finish (reader, result, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_clear_object (&result);

  /* Cancelling is not a failure of the stream: reading goes on. */
  expect_line (reader, "a");
  expect_line (reader, "b");
  g_assert_finalize_object (g_steal_pointer (&reader));
}

/* A reader over one end of a socket pair, for the non-blocking reads;
 * the test writes into *@writer. */
static KfLineReader *
socket_reader (int   *writer,
               gsize  max)
{
  g_autoptr(GInputStream) stream = NULL;
  int ends[2];

  g_assert_no_errno (socketpair (AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, ends));
  stream = g_unix_input_stream_new (ends[0], TRUE);
  *writer = ends[1];
  return kf_line_reader_new (stream, max);
}

static void
put (int         writer,
     const char *data,
     gsize       len)
{
  g_assert_cmpint (write (writer, data, len), ==, (gssize) len);
}

static void
expect_nonblocking (KfLineReader *reader,
                    const char   *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(KfSecureString) line = NULL;
  gsize len = 99;

  line = kf_line_reader_read_line_nonblocking (reader, &len, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (line, ==, expected);
  g_assert_cmpuint (len, ==, strlen (expected));
  g_assert_true (gcry_is_secure (line));
}

static void
expect_nonblocking_error (KfLineReader *reader,
                          GQuark        domain,
                          gint          code)
{
  g_autoptr(GError) error = NULL;
  gsize len = 99;

  g_assert_null (kf_line_reader_read_line_nonblocking (reader, &len, &error));
  g_assert_error (error, domain, code);
  g_assert_cmpuint (len, ==, 0);
}

static void
test_nonblocking_lines (void)
{
  int writer;
  g_autoptr(KfLineReader) reader = socket_reader (&writer, 16);
  g_autoptr(GError) error = NULL;

  expect_nonblocking_error (reader, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  put (writer, "hel", 3);
  expect_nonblocking_error (reader, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  put (writer, "lo\nwor", 6);
  expect_nonblocking (reader, "hello");
  expect_nonblocking_error (reader, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  put (writer, "ld\n\nx\ny\nz", 9);
  expect_nonblocking (reader, "world");
  expect_nonblocking (reader, "");
  expect_nonblocking (reader, "x");
  expect_nonblocking (reader, "y");
  expect_nonblocking_error (reader, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
  /* The longest line fits (15 bytes and its LF). */
  put (writer, "zzzzzzzzzzzzzz\n", 15);
  expect_nonblocking (reader, "zzzzzzzzzzzzzzz");
  close (writer);
  g_assert_null (kf_line_reader_read_line_nonblocking (reader, NULL, &error));
  g_assert_no_error (error);
}

static void
test_nonblocking_refusals (void)
{
  const struct { const char *data; gsize len; gboolean close; GQuark domain; int code; } cases[] = {
    { "ok\n0123456789abcdef", 19, FALSE, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_LINE_TOO_LONG },
    { "ok\nbad\r\n", 8, FALSE, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_LINE },
    { "ok\nnul\0in\n", 10, FALSE, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_LINE },
    { "ok\nhalf \xc3\n", 10, FALSE, KF_PROTOCOL_ERROR, KF_PROTOCOL_ERROR_BAD_UTF8 },
    { "ok\npartial", 10, TRUE, G_IO_ERROR, G_IO_ERROR_PARTIAL_INPUT },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      int writer;
      g_autoptr(KfLineReader) reader = socket_reader (&writer, 16);

      put (writer, cases[i].data, cases[i].len);
      if (cases[i].close)
        close (writer);
      expect_nonblocking (reader, "ok");
      expect_nonblocking_error (reader, cases[i].domain, cases[i].code);
      /* Sticky, whatever comes next. */
      if (!cases[i].close)
        {
          put (writer, "\nping\n", 6);
          close (writer);
        }
      expect_nonblocking_error (reader, cases[i].domain, cases[i].code);
    }
}

static void
test_nonblocking_not_while_pending (void)
{
  int writer;
  g_autoptr(KfLineReader) reader = socket_reader (&writer, 16);
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  g_autoptr(GAsyncResult) result = NULL;
  g_autoptr(GError) error = NULL;

  kf_line_reader_read_line_async (reader, cancellable, kf_test_store_result, &result);
  expect_nonblocking_error (reader, G_IO_ERROR, G_IO_ERROR_PENDING);
  g_cancellable_cancel (cancellable);
  while (result == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_null (kf_line_reader_read_line_finish (reader, result, NULL, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  put (writer, "a\n", 2);
  expect_nonblocking (reader, "a");
  close (writer);
}

int
main (int   argc,
      char *argv[])
{
  kf_gcrypt_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/line-reader/lines-in-any-chunks", test_lines_in_any_chunks);
  g_test_add_func ("/line-reader/partial-line-at-eof-is-an-error", test_partial_line_at_eof);
  g_test_add_func ("/line-reader/longest-line-fits", test_longest_line_fits);
  g_test_add_func ("/line-reader/endless-line-is-bounded", test_endless_line_is_bounded);
  g_test_add_func ("/line-reader/cr-nul-and-bad-utf8-refused", test_bad_bytes);
  g_test_add_func ("/line-reader/one-read-at-a-time", test_one_read_at_a_time);
  g_test_add_func ("/line-reader/cancelled-read", test_cancelled);
  g_test_add_func ("/line-reader/nonblocking/lines-as-they-come", test_nonblocking_lines);
  g_test_add_func ("/line-reader/nonblocking/refusals-are-sticky", test_nonblocking_refusals);
  g_test_add_func ("/line-reader/nonblocking/not-while-a-read-is-pending",
                   test_nonblocking_not_while_pending);

  return g_test_run ();
}
