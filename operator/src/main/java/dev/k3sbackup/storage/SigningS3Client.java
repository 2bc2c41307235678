package dev.k3sbackup.storage;

import io.minio.Http;
import io.minio.MinioAsyncClient;
import io.minio.UploadPartArgs;
import io.minio.errors.MinioException;
import java.io.RandomAccessFile;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * minio's client, able to hand out the signed request of one UploadPart instead of sending it:
 * the URL (bucket lookup, region), the headers and the SigV4 signature are minio's, built the way
 * its own {@code uploadPart} builds them; {@link PartSender} then sends the body itself.
 */
final class SigningS3Client extends MinioAsyncClient {

  SigningS3Client(MinioAsyncClient built) {
    super(built);
  }

  /**
   * The signed {@code PUT ?partNumber=N&uploadId=ID} of {@code length} bytes whose content is
   * {@code file}'s (an unsigned payload, as minio sends over https; {@code headers} carry the
   * part's CRC32C).
   */
  CompletableFuture<okhttp3.Request> signedUploadPart(String bucket, String region, String key,
      String uploadId, int partNumber, Http.Headers headers, RandomAccessFile file, long length) {
    UploadPartArgs args = UploadPartArgs.builder().bucket(bucket).region(region).object(key)
        .uploadId(uploadId).partNumber(partNumber).headers(headers).file(file, length).build();
    Http.Body body = new Http.Body(file, length, Http.DEFAULT_MEDIA_TYPE, "UNSIGNED-PAYLOAD",
        null);
    Http.S3Request request = Http.S3Request.builder().userAgent(userAgent)
        .method(Http.Method.PUT).headers(headers)
        .queryParams(new Http.QueryParameters("partNumber", Integer.toString(partNumber),
            "uploadId", uploadId))
        .body(body).args(args).build();
    return getRegion(bucket, region).thenApply(location -> {
      args.setLocation(location);
      try {
        return request.toRequest(baseUrl, location, provider == null ? null : provider.fetch())
            .httpRequest();
      } catch (MinioException e) {
        throw new CompletionException(e);
      }
    });
  }
}
