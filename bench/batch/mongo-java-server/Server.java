// mongo-java-server 1.46 (in-memory backend) on 127.0.0.1:PORT until killed.
//   java -cp <classpath from pom.xml> Server.java PORT
// It has no `hello` command, only `isMaster`: mongo-migrate falls back to it
// to read the server's clock (Client::server_now), which this run exercises.
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;

public class Server {
  public static void main(String[] args) throws Exception {
    MongoServer server = new MongoServer(new MemoryBackend());
    server.bind("127.0.0.1", Integer.parseInt(args[0]));
    System.out.println("listening on 127.0.0.1:" + args[0]);
    Thread.currentThread().join();
  }
}
