// mongo-java-server 1.46 (in-memory backend) on 127.0.0.1:PORT until killed.
//   java -cp <classpath from pom.xml> Server.java PORT
// It has no `hello` command, which mongo-migrate sends to read the server's
// clock: answered here as the `isMaster` it has (which carries localTime).
import de.bwaldvogel.mongo.MongoServer;
import de.bwaldvogel.mongo.backend.memory.MemoryBackend;
import de.bwaldvogel.mongo.bson.Document;
import io.netty.channel.Channel;

public class Server {
  static class Backend extends MemoryBackend {
    @Override
    public Document handleCommand(Channel channel, String database, String command, Document query) {
      return super.handleCommand(channel, database, command.equals("hello") ? "isMaster" : command, query);
    }
  }

  public static void main(String[] args) throws Exception {
    MongoServer server = new MongoServer(new Backend());
    server.bind("127.0.0.1", Integer.parseInt(args[0]));
    System.out.println("listening on 127.0.0.1:" + args[0]);
    Thread.currentThread().join();
  }
}
