package dev.k3sbackup.storage;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.k3sbackup.tls.PemFiles;
import dev.k3sbackup.base.SnapshotException;
import dev.k3sbackup.base.SnapshotName;
import io.minio.AbortMultipartUploadArgs;
import io.minio.BucketExistsArgs;
import io.minio.ByteBuffer;
import io.minio.CompleteMultipartUploadArgs;
import io.minio.CreateMultipartUploadArgs;
import io.minio.GetObjectArgs;
import io.minio.Http;
import io.minio.ListMultipartUploadsArgs;
import io.minio.ListObjectsArgs;
import io.minio.MinioAsyncClient;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.Result;
import io.minio.StatObjectArgs;
import io.minio.StatObjectResponse;
import io.minio.UploadPartArgs;
import io.minio.errors.ErrorResponseException;
import io.minio.messages.Item;
import io.minio.messages.Part;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.net.URI;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import okhttp3.OkHttpClient;

/**
 * A snapshot folder in an S3 bucket, laid out as K3s lays it out: {@code folder/<file>} with a
 * {@code folder/.metadata/<file>} sidecar. The bucket is never created.
 */
public final class S3SnapshotStore implements AutoCloseable {

  /**
   * Parts buffered in memory are this big; at most {@link #PARTS_IN_FLIGHT} upload while the next
   * one fills.
   */
  static final int PART_SIZE = 8 * 1024 * 1024;
  /**
   * Parts sent from the file are this big: they cost no memory, and each part is one request
   * for minio to build and sign (about 35 per GiB instead of 140).
   */
  static final int FILE_PART_SIZE = 32 * 1024 * 1024;
  static final int PARTS_IN_FLIGHT = 2;
  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * Headers for one part: its CRC32C (checked by S3 on arrival), computed with the JDK's
   * hardware-accelerated CRC32C while the part fills, and an unsigned payload as minio itself
   * sends over https. Left to itself, minio computes the same CRC32C in plain Java over the
   * finished part, which costs more CPU than the whole rest of a save; the whole object's sha256
   * is computed once while streaming and recorded in the sidecar.
   */
  static Http.Headers partHeaders(int crc32c) {
    String base64 = java.util.Base64.getEncoder().encodeToString(new byte[] {
        (byte) (crc32c >>> 24), (byte) (crc32c >>> 16), (byte) (crc32c >>> 8), (byte) crc32c});
    return new Http.Headers("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD",
        "x-amz-checksum-crc32c", base64, "X-Amz-Sdk-Checksum-Algorithm", "CRC32C");
  }

  private final S3Config config;
  private final SigningS3Client client;
  private final OkHttpClient http;
  private final PartSender parts;

  private S3SnapshotStore(S3Config config, SigningS3Client client, OkHttpClient http) {
    this.config = config;
    this.client = client;
    this.http = http;
    this.parts = new PartSender(config.timeout());
  }

  /** Builds a client for {@code config}; reads the CA file now so a bad one is refused early. */
  public static S3SnapshotStore connect(S3Config config) {
    long ms = config.timeout().toMillis();
    OkHttpClient.Builder http = new OkHttpClient.Builder()
        .connectTimeout(ms, TimeUnit.MILLISECONDS)
        .readTimeout(ms, TimeUnit.MILLISECONDS)
        .writeTimeout(ms, TimeUnit.MILLISECONDS)
        .retryOnConnectionFailure(true);
    // a CA file given is read (and a bad one refused) whatever the scheme
    X509TrustManager caTrust = config.endpointCa() == null ? null : PemFiles.trusting(
        PemFiles.certificates("--s3-endpoint-ca", config.endpointCa()));
    if (endpointUrl(config).startsWith("http://")) {
      // plain http only: OkHttp then sets up no TLS at all (by default it loads and parses the
      // JDK's 140 CA certificates at once, 0.1 CPU-s of every save --s3, for nothing here)
      http.connectionSpecs(List.of(okhttp3.ConnectionSpec.CLEARTEXT));
    } else if (config.skipSslVerify()) {
      X509TrustManager trustAll = new TrustAll();
      http.sslSocketFactory(sslContext(trustAll).getSocketFactory(), trustAll)
          .hostnameVerifier((host, session) -> true);
    } else if (caTrust != null) {
      http.sslSocketFactory(sslContext(caTrust).getSocketFactory(), caTrust);
    }
    java.net.Proxy proxy = S3Proxies.choose(config, System.getenv());
    if (proxy != null) {
      http.proxy(proxy);
    }
    OkHttpClient okhttp = http.build();
    MinioAsyncClient.Builder builder = MinioAsyncClient.builder()
        .endpoint(endpointUrl(config))
        .region(config.region())
        .httpClient(okhttp, true);
    if (config.accessKey() != null) {
      builder.credentialsProvider(new io.minio.credentials.StaticProvider(config.accessKey(),
          config.secretKey(), config.sessionToken()));
    }
    try {
      MinioAsyncClient client = builder.build();
      switch (config.bucketLookup()) {
        case DNS -> client.enableVirtualStyleEndpoint();
        case PATH -> client.disableVirtualStyleEndpoint();
        case AUTO -> { } // minio's own choice
      }
      return new S3SnapshotStore(config, new SigningS3Client(client), okhttp);
    } catch (IllegalArgumentException e) {
      throw SnapshotException.badInput("--s3-endpoint " + config.endpoint() + " is not usable ("
          + e.getMessage() + "): give host[:port], e.g. s3.amazonaws.com or minio.local:9000");
    }
  }

  /** The URL the client talks to, for records and messages. */
  public static String endpointUrl(S3Config config) {
    String e = config.endpoint();
    if (e.contains("://")) {
      URI uri = URI.create(e);
      if (config.insecure() && "https".equals(uri.getScheme())) {
        throw SnapshotException.badInput("--s3-endpoint " + e + " says https but --s3-insecure "
            + "asks for http: drop one of them");
      }
      return e;
    }
    if (e.contains("/")) {
      throw SnapshotException.badInput("--s3-endpoint " + e + " must be host[:port] without a "
          + "path: put the path part in --s3-folder");
    }
    return (config.insecure() ? "http://" : "https://") + e;
  }

  public S3Config config() {
    return config;
  }

  /** Proves the bucket exists and the credentials are accepted, before anything is written. */
  public void requireBucket() {
    boolean exists;
    try {
      exists = client.bucketExists(BucketExistsArgs.builder().bucket(config.bucket()).build())
          .get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw explain("checking bucket " + config.bucket(), e);
    }
    if (!exists) {
      throw SnapshotException.badInput("S3 bucket '" + config.bucket() + "' does not exist at "
          + endpointUrl(config) + ": create it first (K3s never creates buckets) or fix "
          + "--s3-bucket / --s3-endpoint");
    }
  }

  /**
   * Starts a multipart upload of {@code fileName}. Nothing becomes visible in the bucket until
   * {@link Upload#complete()}; {@link Upload#abort()} leaves no parts behind.
   *
   * <p>Nothing is asked of S3 before {@code ready} completes: the upload is created then, in the
   * background, and its parts are sent once it exists. So bytes may be written to it at once,
   * while the checks that {@code ready} stands for still run; when {@code ready} fails, no upload
   * is created and every part fails with its cause.
   *
   * @param source the file being written with the same bytes as the upload, each byte before
   *     it is written to the upload: over http its parts are sent from there by sendfile
   *     ({@link PartSender}), once flushed; null to have every part buffered and sent by minio
   */
  public Upload startUpload(String fileName, Map<String, String> userMetadata,
      LocalSnapshotDir.PendingFile source, CompletableFuture<?> ready) {
    String key = config.keyOf(fileName);
    Http.Headers headers = new Http.Headers();
    headers.put("Content-Type", fileName.endsWith(SnapshotName.ZIP_SUFFIX)
        ? "application/zip" : "application/octet-stream");
    userMetadata.forEach((k, v) -> headers.put("x-amz-meta-" + k, v));
    CompletableFuture<String> uploadId = ready.thenCompose(ignored -> later(() ->
        client.createMultipartUpload(CreateMultipartUploadArgs.builder().bucket(config.bucket())
            .region(config.region()).object(key).headers(headers).build())))
        .thenApply(created -> created.result().uploadId());
    boolean fromFile = source != null && endpointUrl(config).startsWith("http://");
    try {
      return new Upload(key, uploadId, fromFile ? source : null);
    } catch (IOException e) {
      throw explain("starting the upload of " + key, e);
    }
  }

  /** A call of minio's asynchronous client, which may also throw before it starts. */
  private interface AsyncCall<T> {
    CompletableFuture<T> start() throws Exception;
  }

  /** Starts {@code call} inside a future's stage: what it throws fails the stage. */
  private static <T> CompletableFuture<T> later(AsyncCall<T> call) {
    try {
      return call.start();
    } catch (Exception e) {
      throw new CompletionException(e);
    }
  }

  /** Writes the {@code .metadata/<file>} sidecar (JSON) with the same user metadata. */
  public void putSidecar(String fileName, byte[] json, Map<String, String> userMetadata) {
    String key = config.metadataKeyOf(fileName);
    try {
      client.putObject(PutObjectArgs.builder().bucket(config.bucket()).object(key)
          .stream(new ByteArrayInputStream(json), (long) json.length, -1L)
          .contentType("application/json").userMetadata(userMetadata).build()).get();
    } catch (Exception e) {
      throw explain("uploading " + key, e);
    }
  }

  /** Snapshots in the folder (not its sub-folders), with their metadata and sidecars. */
  public List<StoredSnapshot> list() {
    String prefix = config.folder().isEmpty() ? "" : config.folder() + "/";
    List<StoredSnapshot> found = new ArrayList<>();
    try {
      for (Result<Item> r : client.listObjects(ListObjectsArgs.builder().bucket(config.bucket())
          .prefix(prefix).recursive(false).build())) {
        Item item = r.get();
        if (item.isDir() || item.size() == 0) {
          continue;
        }
        String name = item.objectName().substring(prefix.length());
        Optional<SnapshotName.Parsed> parsed = SnapshotName.parse(name);
        if (parsed.isPresent()) {
          Optional<StatObjectResponse> stat = stat(name);
          if (stat.isPresent()) { // else deleted since the listing
            found.add(describe(name, parsed.get(), stat.get()));
          }
        }
      }
    } catch (Exception e) {
      throw explain("listing s3://" + config.bucket() + "/" + prefix, e);
    }
    return found;
  }

  /** The snapshot object named {@code fileName}, if present. */
  public Optional<StoredSnapshot> find(String fileName) {
    SnapshotName.requireSafeComponent("snapshot name", fileName);
    Optional<SnapshotName.Parsed> parsed = SnapshotName.parse(fileName);
    if (parsed.isEmpty()) {
      return Optional.empty();
    }
    try {
      return stat(fileName).map(stat -> describe(fileName, parsed.get(), stat));
    } catch (Exception e) {
      throw explain("looking up " + config.keyOf(fileName), e);
    }
  }

  /** Whether a snapshot object called {@code fileName} is there (one HEAD request). */
  public boolean exists(String fileName) {
    SnapshotName.requireSafeComponent("snapshot name", fileName);
    if (SnapshotName.parse(fileName).isEmpty()) {
      return false;
    }
    try {
      return stat(fileName).isPresent();
    } catch (Exception e) {
      throw explain("looking up " + config.keyOf(fileName), e);
    }
  }

  private Optional<StatObjectResponse> stat(String fileName) throws Exception {
    try {
      return Optional.of(client.statObject(StatObjectArgs.builder().bucket(config.bucket())
          .object(config.keyOf(fileName)).build()).get());
    } catch (Exception e) {
      if (isNoSuchKey(e)) {
        return Optional.empty();
      }
      throw e;
    }
  }

  /** The snapshot with its sidecar and user metadata ({@code stat} already fetched). */
  private StoredSnapshot describe(String name, SnapshotName.Parsed parsed,
      StatObjectResponse stat) {
    Map<String, String> meta = new LinkedHashMap<>(readSidecar(name));
    for (var e : stat.userMetadata().entries()) {
      meta.putIfAbsent(canonical(e.getKey()), e.getValue());
    }
    String node = meta.getOrDefault(SnapshotMetadataKeys.NODE,
        meta.get(SnapshotMetadataKeys.K3S_NODE_NAME));
    return new StoredSnapshot(name, StoredSnapshot.Storage.S3, config.locationOf(name),
        stat.size(), parsed.createdAt(), node, parsed.compressed(), meta);
  }

  private Map<String, String> readSidecar(String name) {
    try (InputStream in = client.getObject(GetObjectArgs.builder().bucket(config.bucket())
        .object(config.metadataKeyOf(name)).build()).get()) {
      return JSON.readValue(in, new TypeReference<Map<String, String>>() {});
    } catch (Exception e) {
      return Map.of(); // absent, or K3s's extra metadata in a form we do not read
    }
  }

  /** K3s writes {@code K3s-Node-Name}; S3 servers hand header names back in any case. */
  private static String canonical(String key) {
    for (String k : List.of(SnapshotMetadataKeys.K3S_CLUSTER_ID,
        SnapshotMetadataKeys.K3S_NODE_NAME, SnapshotMetadataKeys.K3S_TOKEN_HASH)) {
      if (k.equalsIgnoreCase(key)) {
        return k;
      }
    }
    return key.toLowerCase(Locale.ROOT);
  }

  /** Streams the snapshot object's bytes. */
  public InputStream open(String fileName) {
    try {
      return client.getObject(GetObjectArgs.builder().bucket(config.bucket())
          .object(config.keyOf(fileName)).build()).get();
    } catch (Exception e) {
      throw explain("downloading " + config.keyOf(fileName), e);
    }
  }

  /** Deletes the object and its sidecar; false when the object was not there. */
  public boolean delete(String fileName) {
    boolean existed = exists(fileName);
    try {
      client.removeObject(RemoveObjectArgs.builder().bucket(config.bucket())
          .object(config.keyOf(fileName)).build()).get();
      client.removeObject(RemoveObjectArgs.builder().bucket(config.bucket())
          .object(config.metadataKeyOf(fileName)).build()).get();
    } catch (Exception e) {
      throw explain("deleting " + config.keyOf(fileName), e);
    }
    return existed;
  }

  /** Multipart uploads not completed nor aborted under the folder (should always be none). */
  public int pendingUploads() {
    try {
      return client.listMultipartUploads(ListMultipartUploadsArgs.builder()
              .bucket(config.bucket()).prefix(config.keyOf("")).build())
          .get().result().uploads().size();
    } catch (Exception e) {
      throw explain("listing multipart uploads", e);
    }
  }

  @Override
  public void close() {
    parts.close();
    http.dispatcher().executorService().shutdown();
    http.connectionPool().evictAll();
  }

  /**
   * Turns an S3 client failure into a sentence that names the flag to fix. Credentials never
   * appear: only S3's error code is quoted.
   */
  SnapshotException explain(String doing, Throwable error) {
    Throwable e = unwrap(error);
    String refused = e instanceof ErrorResponseException ere ? ere.errorResponse().code()
        : e instanceof PartSender.RefusedException r ? r.code : null;
    if (refused != null) {
      String code = refused;
      String base = "S3 refused " + doing + " (" + code + ")";
      return switch (code) {
        case "NoSuchBucket" -> SnapshotException.badInput("S3 bucket '" + config.bucket()
            + "' does not exist: create it first (K3s never creates buckets) or fix --s3-bucket");
        case "InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "InvalidToken",
            "ExpiredToken", "InvalidSecurity" -> SnapshotException.badInput(base
            + ": check --s3-access-key and --s3-secret-key (or AWS_ACCESS_KEY_ID / "
            + "AWS_SECRET_ACCESS_KEY) and that they may write to bucket " + config.bucket());
        case "AuthorizationHeaderMalformed", "InvalidRegion", "PermanentRedirect" ->
            SnapshotException.badInput(base + ": check --s3-region (now " + config.region()
                + ") and --s3-endpoint");
        default -> SnapshotException.failed(base + ": " + e.getMessage(), e);
      };
    }
    for (Throwable c = e; c != null; c = c.getCause()) {
      if (c instanceof SSLException) {
        return SnapshotException.badInput("TLS with S3 at " + config.endpoint() + " failed while "
            + doing + " (" + c.getMessage() + "): give the endpoint's CA with --s3-endpoint-ca, "
            + "use --s3-insecure for a plain-http endpoint, or --s3-skip-ssl-verify");
      }
      if (c instanceof java.net.ConnectException || c instanceof java.net.UnknownHostException
          || c instanceof java.net.SocketTimeoutException) {
        return SnapshotException.failed("cannot reach S3 at " + endpointUrl(config) + " while "
            + doing + " (" + c.getClass().getSimpleName() + "): check --s3-endpoint, "
            + "--s3-insecure and --s3-timeout", e);
      }
    }
    return SnapshotException.failed("S3 failed while " + doing + " (" + e.getClass().getSimpleName()
        + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
  }

  private static boolean isNoSuchKey(Throwable error) {
    return unwrap(error) instanceof ErrorResponseException ere
        && ("NoSuchKey".equals(ere.errorResponse().code())
            || "NoSuchObject".equals(ere.errorResponse().code()));
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof ExecutionException || e instanceof CompletionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof io.minio.errors.MinioException && !(e instanceof ErrorResponseException)
        && e.getCause() != null) {
      return unwrap(e.getCause());
    }
    return e;
  }

  private static SSLContext sslContext(TrustManager trust) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {trust}, new SecureRandom());
      return ctx;
    } catch (Exception e) {
      throw new IllegalStateException("cannot set up TLS", e);
    }
  }

  /** {@code --s3-skip-ssl-verify}: the admin asked for it. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }

  /**
   * One multipart upload, written as a stream: parts upload in the background while the next one
   * fills, so the upload runs alongside the snapshot stream. Each part carries its CRC32C, computed
   * as its bytes pass.
   *
   * <p>Over http each part is sent from the file the same bytes were just written to, by
   * {@link PartSender} (sendfile), as soon as it is complete there; nothing is buffered here.
   * Otherwise each part fills one of a few reused buffers of minio's own kind
   * ({@link ByteBuffer}) and minio sends it: OkHttp reads it through a stream into its pooled
   * 8 KiB segments and recycles each one as soon as it is on the socket. (Handed a
   * {@code byte[]}, minio writes the whole part into fresh segments first, allocating as many
   * bytes as it sends.)
   */
  public final class Upload extends OutputStream {
    private final String key;
    private final CompletableFuture<String> uploadId;
    private final FileChannel source;
    private final RandomAccessFile sourceFile;
    private final java.io.Flushable sourceWriter;
    private final List<Part> parts = new ArrayList<>();
    private final Deque<InFlight> inFlight = new ArrayDeque<>();
    private final java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
    private final int partSize;
    private ByteBuffer buffer;
    private long partStart;
    private int filled;
    private boolean finished;
    private volatile boolean abandoned;

    private record InFlight(CompletableFuture<Part> future, ByteBuffer buffer) {}

    Upload(String key, CompletableFuture<String> uploadId, LocalSnapshotDir.PendingFile file)
        throws IOException {
      this.key = key;
      this.uploadId = uploadId;
      this.source = file == null ? null : FileChannel.open(file.source(), StandardOpenOption.READ);
      this.sourceFile = file == null ? null : new RandomAccessFile(file.source().toFile(), "r");
      this.sourceWriter = file == null ? null : file.out();
      this.buffer = source == null ? new ByteBuffer(PART_SIZE) : null;
      this.partSize = source == null ? PART_SIZE : FILE_PART_SIZE;
    }

    public String key() {
      return key;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        int n = Math.min(len, partSize - filled);
        if (buffer != null) {
          buffer.write(b, off, n);
        }
        crc.update(b, off, n);
        filled += n;
        off += n;
        len -= n;
        if (filled == partSize) {
          sendPart();
        }
      }
    }

    private void sendPart() throws IOException {
      int partNumber = parts.size() + inFlight.size() + 1;
      Http.Headers headers = partHeaders((int) crc.getValue());
      CompletableFuture<Part> future;
      if (source != null) {
        sourceWriter.flush(); // the part's bytes are in the file before it is read from there
        long offset = partStart;
        long length = filled;
        // signed and sent on a sender thread, off the snapshot stream's, once the upload exists
        future = uploadId.thenComposeAsync(id -> {
          if (abandoned) { // queued behind a failure: not sent
            throw new CancellationException("the upload of " + key + " was abandoned");
          }
          return client.signedUploadPart(config.bucket(), config.region(), key, id,
              partNumber, headers, sourceFile, length);
        }, SENDERS)
            .thenApply(request -> {
              try {
                return new Part(partNumber, parts().send(request, source, offset, length));
              } catch (IOException e) {
                throw new CompletionException(e);
              }
            });
      } else {
        ByteBuffer part = buffer;
        future = uploadId.thenCompose(id -> later(() -> client.uploadPart(UploadPartArgs.builder()
            .bucket(config.bucket()).region(config.region()).object(key).uploadId(id)
            .partNumber(partNumber).headers(headers).buffer(part).build())))
            .thenApply(r -> r.part());
      }
      inFlight.add(new InFlight(future, buffer));
      partStart += filled;
      filled = 0;
      crc.reset();
      if (source != null) {
        // Parts read from the file cost no memory: they queue for the senders (at most
        // PARTS_IN_FLIGHT on the wire) and the snapshot stream never waits for S3, so etcd, this
        // process and the S3 server keep both cores busy instead of taking turns. A failed part
        // still stops the save at once, when it is seen.
        while (!inFlight.isEmpty() && inFlight.peekFirst().future().isDone()) {
          awaitOldest();
        }
      } else if (inFlight.size() >= PARTS_IN_FLIGHT) {
        buffer = awaitOldest(); // memory: a few part buffers, reused
      } else {
        buffer = new ByteBuffer(PART_SIZE);
      }
    }

    /** Waits for the oldest part in flight and returns its buffer (if any), emptied. */
    private ByteBuffer awaitOldest() throws IOException {
      InFlight oldest = inFlight.removeFirst();
      try {
        parts.add(oldest.future().get());
        if (oldest.buffer() != null) {
          oldest.buffer().reset();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while uploading " + key);
      } catch (ExecutionException | io.minio.errors.MinioException e) {
        throw new IOException(explain("uploading part of " + key, e).getMessage(), e);
      }
      return oldest.buffer();
    }

    /** Sends the last part and makes the object visible. */
    public void complete() throws IOException {
      try {
        if (filled > 0 || parts.size() + inFlight.size() == 0) {
          sendPart();
        }
        while (!inFlight.isEmpty()) {
          awaitOldest();
        }
        client.completeMultipartUpload(CompleteMultipartUploadArgs.builder()
            .bucket(config.bucket()).region(config.region()).object(key)
            .uploadId(uploadId.get()).parts(parts.toArray(Part[]::new)).build()).get();
        finished = true;
      } catch (IOException e) {
        throw e;
      } catch (Exception e) {
        throw new IOException(explain("completing the upload of " + key, e).getMessage(), e);
      } finally {
        closeSource();
      }
    }

    /** Abandons the upload and deletes its parts. Safe to call more than once. */
    public void abort() {
      if (finished) {
        return;
      }
      finished = true;
      abandoned = true; // parts still queued are not sent
      for (InFlight f : inFlight) {
        try {
          f.future().get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        } catch (Exception ignored) {
          // we only wait so the abort below is not overtaken by a late part
        }
      }
      closeSource();
      try {
        // an upload still being created is waited for; one that never was has nothing to abort
        String id = uploadId.get(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
        client.abortMultipartUpload(AbortMultipartUploadArgs.builder().bucket(config.bucket())
            .region(config.region()).object(key).uploadId(id).build()).get();
      } catch (Exception ignored) {
        // the caller reports the original failure; a stale upload is listed by pendingUploads()
      }
    }

    private void closeSource() {
      try {
        if (source != null) {
          source.close();
          sourceFile.close();
        }
      } catch (IOException ignored) {
        // read-only handles
      }
    }
  }

  private PartSender parts() {
    return parts;
  }

  /** Sends parts from files (blocking I/O), as many at once as may be in flight. */
  private static final java.util.concurrent.ExecutorService SENDERS =
      java.util.concurrent.Executors.newFixedThreadPool(PARTS_IN_FLIGHT, task -> {
        Thread t = new Thread(task, "s3-part-sender");
        t.setDaemon(true);
        return t;
      });
}
